/**
 * The event store by configuration, in every run mode: `EVENT_STORE=postgres` (the default: the service's own
 * PostgreSQL database, or the embedded engine) or `EVENT_STORE=kurrentdb` with `KURRENTDB_URL`. Only the events move
 * to KurrentDB; read models, checkpoints, idempotency records and the data subjects' keys stay in PostgreSQL.
 *
 * A store that cannot be reached fails the start with a message naming where it was looked for (credentials left
 * out), instead of a service that starts and then fails every request.
 */
import { z } from 'zod';
import { migrate } from '../event-sourcing/postgres/migrations.ts';
import { PostgresEventStore } from '../event-sourcing/postgres/postgres-event-store.ts';
import type { Sql } from '../event-sourcing/postgres/sql.ts';
import type { EventStore } from '../event-sourcing/types.ts';

export const EVENT_STORES = ['postgres', 'kurrentdb'] as const;

/** The variables that choose the store; KURRENTDB_URL is required with EVENT_STORE=kurrentdb. */
export const eventStoreEnv = {
  EVENT_STORE: z.enum(EVENT_STORES).default('postgres'),
  KURRENTDB_URL: z
    .string()
    .regex(/^(kurrentdb|esdb|kdb)(\+discover)?:\/\//, 'expected kurrentdb://host:port?tls=false (or esdb://)')
    .optional(),
};

export type EventStoreConfig = {
  readonly EVENT_STORE: (typeof EVENT_STORES)[number];
  readonly KURRENTDB_URL?: string | undefined;
};

/** For a schema's superRefine: KURRENTDB_URL named when EVENT_STORE=kurrentdb lacks it. */
export function checkEventStoreConfig(config: EventStoreConfig, context: z.RefinementCtx): void {
  if (config.EVENT_STORE === 'kurrentdb' && !config.KURRENTDB_URL) {
    context.addIssue({ code: 'custom', path: ['KURRENTDB_URL'], message: 'required with EVENT_STORE=kurrentdb' });
  }
}

/** The start failed because the configured store did not answer. */
export class EventStoreUnreachableError extends Error {
  override readonly name = 'EventStoreUnreachableError';
}

/** A URL as it may be shown: user and password left out. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//');
}

/**
 * Opens the configured store and asks it for its head, so an unreachable server fails here, within `timeoutMs`,
 * naming the URL. `sql` serves EVENT_STORE=postgres (the store's tables are migrated there).
 */
export async function openEventStore(
  config: EventStoreConfig,
  sql: Sql,
  options: { timeoutMs?: number } = {},
): Promise<EventStore> {
  const timeoutMs = options.timeoutMs ?? 15_000;
  const where =
    config.EVENT_STORE === 'kurrentdb'
      ? `KurrentDB at ${redactUrl(config.KURRENTDB_URL ?? '')}`
      : 'PostgreSQL (the service database)';
  let store: EventStore | undefined;
  let timer: NodeJS.Timeout | undefined;
  try {
    const opened = (async () => {
      if (config.EVENT_STORE === 'kurrentdb') {
        // Loaded only when configured: a process on PostgreSQL never loads the KurrentDB client.
        const { KurrentDbEventStore } = await import('../event-sourcing/kurrentdb/kurrentdb-event-store.ts');
        // The checkpoints stay in the service database: its tables (es_checkpoints with them) are created there.
        await migrate(sql);
        store = KurrentDbEventStore.connect(config.KURRENTDB_URL ?? '');
      } else {
        store = await PostgresEventStore.open(sql, { ownsConnection: false });
      }
      await store.headPosition();
      return store;
    })();
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    });
    return await Promise.race([opened, timedOut]);
  } catch (error) {
    await Promise.resolve(store?.close()).catch(() => undefined);
    const reason = error instanceof Error ? error.message : String(error);
    throw new EventStoreUnreachableError(`EVENT_STORE=${config.EVENT_STORE}: cannot reach ${where}: ${reason}`);
  } finally {
    clearTimeout(timer);
  }
}
