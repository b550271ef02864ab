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

/** A URL (or a message quoting one) as it may be shown: user and password left out. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/[^@/\s]*@/g, '//');
}

/**
 * Opens the configured store and asks it for its head, so an unreachable server fails here, within `timeoutMs`,
 * naming where it was looked for. `sql` serves EVENT_STORE=postgres (the store's tables are migrated there) and,
 * with KurrentDB, keeps the service database's own tables (checkpoints): migrated first, outside the probe, so a
 * failing database or migration is reported as what it is, not as an unreachable store.
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
  const unreachable = (error: unknown) => {
    const reason = redactUrl(error instanceof Error ? error.message || error.name : String(error));
    return new EventStoreUnreachableError(`EVENT_STORE=${config.EVENT_STORE}: cannot reach ${where}: ${reason}`);
  };
  let store: EventStore;
  if (config.EVENT_STORE === 'kurrentdb') {
    // The checkpoints stay in the service database: its tables (es_checkpoints with them) are created there.
    await migrate(sql);
    // Loaded only when configured: a process on PostgreSQL never loads the KurrentDB client.
    const { KurrentDbEventStore } = await import('../event-sourcing/kurrentdb/kurrentdb-event-store.ts');
    store = KurrentDbEventStore.connect(config.KURRENTDB_URL ?? '');
  } else {
    try {
      store = await PostgresEventStore.open(sql, { ownsConnection: false });
    } catch (error) {
      // The database did not answer (a failing migration on a reachable one is not this: it is rethrown).
      if (isConnectionError(error)) throw unreachable(error);
      throw error;
    }
  }
  let timer: NodeJS.Timeout | undefined;
  try {
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    });
    await Promise.race([store.headPosition(), timedOut]);
    return store;
  } catch (error) {
    await Promise.resolve(store.close()).catch(() => undefined);
    throw unreachable(error);
  } finally {
    clearTimeout(timer);
  }
}

/** A failure to connect (refused, unknown host, timed out, reset), as Node and pg report it. */
function isConnectionError(error: unknown): boolean {
  const code = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : '';
  return ['ECONNREFUSED', 'ENOTFOUND', 'ETIMEDOUT', 'ECONNRESET', 'EHOSTUNREACH', 'EAI_AGAIN', '57P03'].includes(code);
}
