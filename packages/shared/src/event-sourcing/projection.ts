/**
 * Batched projections: a read model declared as data (table, key, columns, filter) and a pure `apply` of one event to
 * one row, so a runner can project a whole page of events with a constant number of statements — load the rows the
 * page touches, apply the events in memory, write the changed rows back in bulk and store the checkpoint — in ONE
 * transaction. Rows and checkpoint therefore never disagree: every event is applied exactly once, across crashes,
 * replicas running the same projection, and a rebuild running beside them.
 *
 * One table per projection: a service with several read models declares several projections, each with its own
 * checkpoint, so each can be rebuilt on its own and `apply` stays a function of one row.
 *
 * Rows travel as JSON (`to_jsonb` out, `json_populate_recordset` in), so `pg` and PGlite hand `apply` the same
 * shapes whatever their type parsers do: timestamps as ISO strings, bigint as numbers, jsonb as values.
 */
import { ensureSchema } from './postgres/migrations.ts';
import type { Sql } from './postgres/sql.ts';
import { type Processor, type ProcessorLogger, type ProcessorRegistry, startProcessor } from './processor.ts';
import type { EventFilter, EventStore, StoredEvent } from './types.ts';

type Tx = Omit<Sql, 'transaction' | 'listen' | 'close'>;

export interface ProjectionTable {
  readonly name: string;
  /** The primary-key column: one row per key. */
  readonly key: string;
  /** Every column of the table, the key included. */
  readonly columns: readonly string[];
}

export interface Projection<Row extends object = object> {
  /** Stable name; the checkpoint is stored under it (e.g. `intake:case-list`). */
  readonly name: string;
  /** Idempotent DDL of the table and its indexes (`create … if not exists`). */
  readonly schema: string;
  readonly table: ProjectionTable;
  readonly filter: EventFilter;
  /** The key of the row the event changes; undefined when it changes none. */
  keyOf(event: StoredEvent): string | undefined;
  /**
   * The row after the event, given the row before (undefined: no row). Return the same object for "unchanged",
   * undefined to delete the row. Pure: no I/O, no clock — a rebuild must reach the rows live operation reached.
   */
  apply(row: Row | undefined, event: StoredEvent): Row | undefined;
}

/** A projection with what it runs on: the store it reads (personal data opened or not) and its database. */
export interface BoundProjection {
  readonly projection: Projection;
  readonly store: EventStore;
  /** Holds the table and `es_checkpoints` (the event store's database, so both commit together). */
  readonly sql: Sql;
}

export type PageOutcome =
  /** Applied: the checkpoint is now `position`. */
  | { readonly status: 'applied'; readonly position: number; readonly events: number }
  /** Someone stored a checkpoint below where this page starts (a rebuild reset it): nothing applied, re-read. */
  | { readonly status: 'behind'; readonly position: number };

const ident = (name: string): string => {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`not a plain SQL identifier: ${name}`);
  return name;
};

/**
 * Applies a page of events (in position order, all after `after`) to the projection's table in one transaction.
 * The checkpoint row is locked first: a page that another runner partly applied already is applied from that
 * runner's checkpoint on; one that starts above the checkpoint (reset by a rebuild) is refused as `behind`.
 */
export async function applyPage(
  bound: BoundProjection,
  events: readonly StoredEvent[],
  after: number,
): Promise<PageOutcome> {
  const { projection, sql } = bound;
  const table = ident(projection.table.name);
  const key = ident(projection.table.key);
  const columns = projection.table.columns.map(ident);
  return sql.transaction(async (tx: Tx): Promise<PageOutcome> => {
    // Creates the row when missing and locks it either way, in one statement.
    const [locked] = await tx.query<{ position: number | string }>(
      `insert into es_checkpoints (subscriber_id, position) values ($1, 0)
       on conflict (subscriber_id) do update set position = es_checkpoints.position returning position`,
      [projection.name],
    );
    const checkpoint = Number(locked?.position ?? 0);
    if (checkpoint < after) return { status: 'behind', position: checkpoint };
    const fresh = events.filter((event) => event.position > checkpoint);
    const last = fresh.at(-1);
    if (!last) return { status: 'applied', position: checkpoint, events: 0 };

    const keys = new Set<string>();
    for (const event of fresh) {
      const k = projection.keyOf(event);
      if (k !== undefined) keys.add(k);
    }
    const rows = new Map<string, object | undefined>();
    if (keys.size > 0) {
      const loaded = await tx.query<{ row: Record<string, unknown> }>(
        `select to_jsonb(t) as row from ${table} t
          where t.${key} in (select k.${key} from json_populate_recordset(null::${table}, $1::json) k)`,
        [JSON.stringify([...keys].map((k) => ({ [key]: k })))],
      );
      for (const { row } of loaded) rows.set(String(row[key]), row);
    }
    const before = new Map(rows);
    for (const event of fresh) {
      const k = projection.keyOf(event);
      if (k !== undefined) rows.set(k, projection.apply(rows.get(k), event));
    }
    const upserts: object[] = [];
    const deletes: object[] = [];
    for (const [k, row] of rows) {
      if (row === before.get(k)) continue;
      if (row === undefined) deletes.push({ [key]: k });
      else upserts.push(row);
    }
    if (deletes.length > 0) {
      await tx.query(
        `delete from ${table} t using json_populate_recordset(null::${table}, $1::json) d where t.${key} = d.${key}`,
        [JSON.stringify(deletes)],
      );
    }
    if (upserts.length > 0) {
      const list = columns.join(', ');
      const set = columns
        .filter((c) => c !== key)
        .map((c) => `${c} = excluded.${c}`)
        .join(', ');
      await tx.query(
        `insert into ${table} (${list}) select ${list} from json_populate_recordset(null::${table}, $1::json)
         on conflict (${key}) do ${set ? `update set ${set}` : 'nothing'}`,
        [JSON.stringify(upserts)],
      );
    }
    await tx.query('update es_checkpoints set position = $2, updated_at = now() where subscriber_id = $1', [
      projection.name,
      last.position,
    ]);
    return { status: 'applied', position: last.position, events: fresh.length };
  });
}

async function loadCheckpoint(bound: BoundProjection): Promise<number> {
  const [row] = await bound.sql.query<{ position: number | string }>(
    'select position from es_checkpoints where subscriber_id = $1',
    [bound.projection.name],
  );
  return row ? Number(row.position) : 0;
}

/**
 * Reads pages from `after` until a short page, applying each; the next page is read while the current one is
 * written (on the server they use different connections). Ends early with `behind` when the checkpoint was reset.
 * Used by a rebuild; a live projection runs as a processor.
 */
async function replay(
  bound: BoundProjection,
  after: number,
  pageSize: number,
  onPage: (position: number, events: number) => void,
  stopped: () => boolean = () => false,
): Promise<PageOutcome> {
  const read = (from: number) =>
    bound.store.readAll({ afterPosition: from, limit: pageSize, filter: bound.projection.filter });
  let position = after;
  let next: Promise<StoredEvent[]> | undefined = read(position);
  while (next && !stopped()) {
    const page: StoredEvent[] = await next;
    const last = page.at(-1);
    if (!last) break;
    next = page.length === pageSize ? read(last.position) : undefined;
    const outcome = await applyPage(bound, page, position).catch(async (error: unknown) => {
      await next?.catch(() => undefined); // no read left to fail unobserved
      throw error;
    });
    if (outcome.status === 'behind') {
      await next?.catch(() => undefined);
      return outcome;
    }
    position = last.position;
    onPage(position, page.length);
  }
  await next?.catch(() => undefined);
  return { status: 'applied', position, events: 0 };
}

export interface StartProjectionOptions {
  /** Events per transaction while catching up and, at most, live. */
  readonly pageSize?: number;
  /**
   * Told of every failure (a database error, a page that cannot be applied); the projection then starts again from
   * its checkpoint after a pause that grows from `retryMs[0]` to `retryMs[1]` — it never stops silently.
   */
  readonly onError?: (error: unknown, attempt: number) => void;
  readonly retryMs?: readonly [number, number];
  readonly log?: ProcessorLogger;
  /** Where it reports itself for readiness and metrics. */
  readonly registry?: ProcessorRegistry;
}

/**
 * Runs the projection while the service runs, as a processor (processor.ts) named after it: creates its table,
 * then applies what the store delivers from its checkpoint on, a page per transaction (whatever arrived while the
 * previous page was written goes into the next). A checkpoint reset under it (a rebuild) sends it back to its
 * checkpoint; a failure is reported and it starts over from there — it never stops.
 */
export async function startProjection(
  bound: BoundProjection,
  options: StartProjectionOptions = {},
): Promise<Processor> {
  await ensureSchema(bound.sql, bound.projection.schema);
  let after = 0;
  return startProcessor(
    bound.store,
    {
      name: bound.projection.name,
      filter: bound.projection.filter,
      batchSize: options.pageSize ?? 500,
      ...(options.retryMs ? { retryMs: options.retryMs } : {}),
      ...(options.onError ? { onError: options.onError } : {}),
      ...(options.log ? { log: options.log } : {}),
      ...(options.registry ? { registry: options.registry } : {}),
    },
    {
      resumeFrom: async () => {
        after = await loadCheckpoint(bound);
        return after;
      },
      handle: async (page) => {
        const outcome = await applyPage(bound, page, after);
        if (outcome.status === 'behind') return 'restart';
        after = Math.max(after, outcome.position);
        return undefined;
      },
    },
  );
}

/**
 * A service's projections started together, each failure logged (the projection starts over by itself): what every
 * service does on start-up. Stop them with the returned processors.
 */
export async function startProjections(
  projections: readonly BoundProjection[],
  options: { readonly log: ProcessorLogger; readonly registry?: ProcessorRegistry | undefined },
): Promise<Processor[]> {
  const running: Processor[] = [];
  for (const bound of projections) {
    running.push(
      await startProjection(bound, {
        log: options.log,
        ...(options.registry ? { registry: options.registry } : {}),
      }),
    );
  }
  return running;
}

export interface RebuildProgress {
  readonly projection: string;
  /** Events applied so far by this projection. */
  readonly events: number;
  /** Position reached, of `head`: the store's head when the rebuild started. */
  readonly position: number;
  readonly head: number;
}

export interface RebuildResult {
  readonly projections: readonly { readonly name: string; readonly events: number; readonly seconds: number }[];
  readonly events: number;
  readonly seconds: number;
}

export interface RebuildOptions {
  /** Events per read and per transaction. */
  readonly pageSize?: number;
  /**
   * How many projections are rebuilt at once (default: all). Side by side they read the same stretch of the store
   * at about the same time, so each page of the table comes from disk once, and the database's work on one
   * projection overlaps the decoding and applying of another.
   */
  readonly concurrency?: number;
  readonly onProgress?: (progress: RebuildProgress) => void;
}

const elapsedSince = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e9;

async function rebuildOne(
  bound: BoundProjection,
  pageSize: number,
  onProgress: RebuildOptions['onProgress'],
): Promise<{ name: string; events: number; seconds: number }> {
  const { projection, sql } = bound;
  const start = process.hrtime.bigint();
  await ensureSchema(sql, projection.schema);
  // Under the checkpoint row's lock: a runner live beside the rebuild sees the reset as a whole and starts over.
  await sql.transaction(async (tx) => {
    await tx.query(
      `insert into es_checkpoints (subscriber_id, position) values ($1, 0)
       on conflict (subscriber_id) do update set position = 0, updated_at = now()`,
      [projection.name],
    );
    await tx.exec(`truncate ${ident(projection.table.name)}`);
  });
  const head = await bound.store.headPosition();
  let events = 0;
  onProgress?.({ projection: projection.name, events, position: 0, head });
  const outcome = await replay(bound, 0, pageSize, (position, count) => {
    events += count;
    onProgress?.({ projection: projection.name, events, position: Math.min(position, head), head });
  });
  if (outcome.status === 'behind') throw new Error(`${projection.name}: its checkpoint was reset during the rebuild`);
  onProgress?.({ projection: projection.name, events, position: head, head });
  return { name: projection.name, events, seconds: elapsedSince(start) };
}

/**
 * Rebuilds projections from the store: for each, empties its table and checkpoint in one transaction, then replays
 * every event from position 0 in large pages (see `replay`: the next page is read while the last is written).
 */
export async function rebuildProjections(
  projections: readonly BoundProjection[],
  options: RebuildOptions = {},
): Promise<RebuildResult> {
  const pageSize = options.pageSize ?? 5_000;
  const concurrency = Math.max(1, options.concurrency ?? projections.length);
  const results: { name: string; events: number; seconds: number }[] = [];
  const startAll = process.hrtime.bigint();
  const queue = [...projections.entries()];
  const worker = async () => {
    for (let next = queue.shift(); next; next = queue.shift()) {
      const [index, bound] = next;
      results[index] = await rebuildOne(bound, pageSize, options.onProgress);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, projections.length) }, worker));
  return {
    projections: results,
    events: results.reduce((sum, r) => sum + r.events, 0),
    seconds: elapsedSince(startAll),
  };
}
