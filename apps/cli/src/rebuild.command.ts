/**
 * `pnpm casefile rebuild`: every projection of every service rebuilt from the event store — on the PostgreSQL server
 * when DATABASE_URL is set (distributed), else on the embedded store in DATA_DIR (refused while `pnpm start` runs).
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DataDirLockedError, lockDataDir } from '@buergerkoffer/embedded/data-dir-lock';
import { findMasterKey } from '@buergerkoffer/embedded/master-key';
import { allProjections } from '@buergerkoffer/embedded/services';
import {
  type EventStore,
  PostgresEventStore,
  pgSql,
  type RebuildProgress,
  type RebuildResult,
  rebuildProjections,
  type Sql,
} from '@buergerkoffer/shared/event-sourcing';
import { PostgresKeyStore, parseMasterKey } from '@buergerkoffer/shared/privacy';
import {
  EventStoreUnreachableError,
  EXIT_UNAVAILABLE,
  openEventStore,
  systemParts,
} from '@buergerkoffer/shared/runtime';
import type { CliConfig } from './config.ts';

export const rebuildUsage = `usage: pnpm casefile rebuild [--page-size <events>]

Rebuilds every projection of every service (their tables and checkpoints) from the event store.
  DATABASE_URL set:  the PostgreSQL server (distributed mode); PD_MASTER_KEY is required; the events from where
                     EVENT_STORE says (postgres, or kurrentdb with KURRENTDB_URL). Running services start
                     their projections over when they notice the reset; stop them first for a quiet rebuild.
  otherwise:         the embedded store in DATA_DIR (default .data), the events from KurrentDB with
                     EVENT_STORE=kurrentdb as \`pnpm start\` had them; refused while \`pnpm start\` runs on it.`;

/** EX_TEMPFAIL: the embedded system holds the data directory; try again when it has stopped. */
export const EXIT_LOCKED = 75;

const fmt = (value: number) => Math.round(value).toLocaleString('en');
const rate = (events: number, seconds: number) => (seconds > 0 ? events / seconds : 0);

/**
 * Progress on stderr, over all projections at once (they are rebuilt side by side): a bar redrawn in place on a
 * terminal, else one plain line per 10 % (logs, CI), so a long rebuild shows it is alive without flooding a file.
 */
export class ProgressReporter {
  readonly #write: (text: string) => void;
  readonly #tty: boolean;
  readonly #width: number;
  readonly #now: () => number;
  readonly #projections: number;
  readonly #latest = new Map<string, RebuildProgress>();
  #start: number | undefined;
  #lastDecile = -1;
  #lastDraw = Number.NEGATIVE_INFINITY;
  #drawn = false;

  constructor(options: {
    write: (text: string) => void;
    tty: boolean;
    /** How many projections will report (those not heard from yet count as not started). */
    projections: number;
    width?: number;
    now?: () => number;
  }) {
    this.#write = options.write;
    this.#tty = options.tty;
    this.#projections = Math.max(1, options.projections);
    this.#width = options.width ?? 30;
    this.#now = options.now ?? (() => performance.now());
  }

  update(progress: RebuildProgress): void {
    this.#start ??= this.#now();
    this.#latest.set(progress.projection, progress);
    const all = [...this.#latest.values()];
    const head = Math.max(0, ...all.map((p) => p.head));
    const done = all.reduce((sum, p) => sum + (p.head > 0 ? p.position : head), 0);
    const share = head > 0 ? Math.min(1, done / (head * this.#projections)) : 1;
    const events = all.reduce((sum, p) => sum + p.events, 0);
    const speed = `${fmt(rate(events, (this.#now() - this.#start) / 1000))} events/s`;
    const percent = Math.floor(share * 100);
    if (this.#tty) {
      // Redrawn at most ~10 times a second, and always at the end.
      if (share < 1 && this.#now() - this.#lastDraw < 100) return;
      this.#lastDraw = this.#now();
      this.#drawn = true;
      const filled = Math.round(share * this.#width);
      const bar = `${'█'.repeat(filled)}${'░'.repeat(this.#width - filled)}`;
      this.#write(`\r\x1b[2Krebuild ${bar} ${String(percent).padStart(3)}%  ${fmt(events)} events, ${speed}`);
      return;
    }
    const decile = Math.floor(share * 10);
    if (decile === this.#lastDecile) return;
    this.#lastDecile = decile;
    this.#write(`rebuild: ${decile * 10}% (${fmt(events)} events, ${speed})\n`);
  }

  done(): void {
    if (this.#tty && this.#drawn) this.#write('\n');
    this.#drawn = false;
  }
}

/** The closing lines: per projection and in total, events, seconds and events/s. */
export function renderRebuildResult(result: RebuildResult): string {
  const line = (name: string, events: number, seconds: number) =>
    `${name.padEnd(24)} ${fmt(events).padStart(11)} events  ${seconds.toFixed(2).padStart(8)} s  ${fmt(rate(events, seconds)).padStart(9)} events/s`;
  return [
    ...result.projections.map((p) => line(p.name, p.events, p.seconds)),
    line('total', result.events, result.seconds),
  ].join('\n');
}

export interface RebuildIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly stderrIsTty: boolean;
}

export async function runRebuild(argv: readonly string[], config: CliConfig, io: RebuildIo): Promise<number> {
  let pageSize: number;
  try {
    const { values } = parseArgs({
      args: [...argv],
      strict: true,
      options: { 'page-size': { type: 'string', default: '5000' }, help: { type: 'boolean', short: 'h' } },
    });
    if (values.help) {
      io.stdout(`${rebuildUsage}\n`);
      return 0;
    }
    pageSize = Number(values['page-size']);
    if (!Number.isInteger(pageSize) || pageSize < 1) throw new Error('--page-size must be a whole number ≥ 1');
  } catch (error) {
    io.stderr(`${(error as Error).message}\n${rebuildUsage}\n`);
    return 2;
  }

  let store: EventStore;
  let sql: Sql;
  let masterKey: Buffer;
  let release: () => void = () => undefined;
  if (config.DATABASE_URL) {
    if (!config.PD_MASTER_KEY) {
      io.stderr('PD_MASTER_KEY is required with DATABASE_URL: projections open personal data (e.g. duplicate keys)\n');
      return 78;
    }
    masterKey = parseMasterKey(config.PD_MASTER_KEY);
    sql = pgSql({ connectionString: config.DATABASE_URL, max: 4 });
    try {
      // The events where the services keep them (EVENT_STORE), the projections in the database.
      store = await openEventStore(config, sql);
    } catch (error) {
      await sql.close();
      if (!(error instanceof EventStoreUnreachableError)) throw error;
      io.stderr(`cannot rebuild: ${error.message}\n`);
      return EXIT_UNAVAILABLE;
    }
  } else {
    const dataDir = resolve(config.DATA_DIR);
    if (!existsSync(join(dataDir, 'eventstore'))) {
      io.stderr(`no embedded event store in ${dataDir} (set DATA_DIR, or DATABASE_URL for a server)\n`);
      return 66; // EX_NOINPUT
    }
    try {
      release = (await lockDataDir(dataDir)).release;
    } catch (error) {
      if (!(error instanceof DataDirLockedError)) throw error;
      io.stderr(`cannot rebuild: ${error.message}\n`);
      return EXIT_LOCKED;
    }
    // Never a new key here: one made now would open nothing, and the rebuild would fail half-way.
    const found = await findMasterKey(dataDir, config.PD_MASTER_KEY ? { PD_MASTER_KEY: config.PD_MASTER_KEY } : {});
    if (!found) {
      release();
      io.stderr(`no master key in ${dataDir}/keys and PD_MASTER_KEY is not set\n`);
      return 78;
    }
    masterKey = found;
    const embedded = await PostgresEventStore.embedded(join(dataDir, 'eventstore'));
    sql = embedded.sql;
    if (config.EVENT_STORE === 'kurrentdb') {
      // The events where the embedded system keeps them with EVENT_STORE=kurrentdb; its projections stay here.
      try {
        store = await openEventStore(config, sql);
      } catch (error) {
        await embedded.close();
        release();
        if (!(error instanceof EventStoreUnreachableError)) throw error;
        io.stderr(`cannot rebuild: ${error.message}\n`);
        return EXIT_UNAVAILABLE;
      }
    } else {
      store = embedded;
    }
  }
  try {
    const keyStore = await PostgresKeyStore.open(sql, masterKey);
    const projections = allProjections(systemParts({ store, sql, keyStore, masterKey }));
    const progress = new ProgressReporter({ write: io.stderr, tty: io.stderrIsTty, projections: projections.length });
    const result = await rebuildProjections(projections, { pageSize, onProgress: (p) => progress.update(p) });
    progress.done();
    io.stdout(`${renderRebuildResult(result)}\n`);
    return 0;
  } finally {
    await store.close();
    await sql.close();
    release();
  }
}
