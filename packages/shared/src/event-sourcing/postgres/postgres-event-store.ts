/**
 * The EventStore on PostgreSQL — the same code on the PostgreSQL server (`pg`) and embedded (PGlite).
 *
 * Appends are one statement (`es_append`, see migrations.ts): per-stream row lock for the expected revision and the
 * hash chain, then a transaction-scoped advisory lock under which global positions are drawn, held until commit.
 * Positions therefore become visible in order, so a reader that has seen position n can never later find an event
 * below n (the gap problem of sequence-ordered tables does not arise). Subscriptions are woken by NOTIFY and fall
 * back to a bounded poll when a notification is lost.
 */
import { PGlite } from '@electric-sql/pglite';
import { Notifier, PollingSubscription, pageOf } from '../catch-up-subscription.ts';
import { IdempotencyConflictError, InvalidEventError, StreamDeletedError, VersionConflictError } from '../errors.ts';
import { contentHash } from '../hashing.ts';
import type {
  AppendResult,
  CheckpointStore,
  EventFilter,
  EventHandler,
  EventMetadata,
  EventStore,
  EventToAppend,
  ExpectedState,
  Json,
  ReadAllOptions,
  ReadCaseOptions,
  ReadStreamOptions,
  StoredEvent,
  StreamInfo,
  StreamMetadata,
  SubscribeOptions,
  Subscription,
} from '../types.ts';
import { DEFAULT_MAX_EVENT_BYTES, limitOf, prepareEvents, validateStreamName } from '../validation.ts';
import { COMMIT_ORDER_LOCK, migrate } from './migrations.ts';
import { pgliteSql, pgSql, type Sql, type SqlError } from './sql.ts';
import { TailWindow } from './tail-window.ts';

export interface PostgresEventStoreOptions {
  readonly maxEventBytes?: number;
  /** The fallback poll of live subscriptions when no notification arrives (ms). */
  readonly pollIntervalMs?: number;
  readonly now?: () => Date;
  /** Close the connection with the store (default true). */
  readonly ownsConnection?: boolean;
}

interface EventRow extends Record<string, unknown> {
  position: number | string;
  id: string;
  stream: string;
  revision: number | string;
  type: string;
  schema_version: number;
  data: Json;
  metadata: EventMetadata;
  recorded_at: Date;
  hash: string;
  prev_hash: string | null;
}

const EVENT_COLUMNS = `e.position, e.id::text as id, e.stream, e.revision, e.type, e.schema_version, e.data, e.metadata,
  e.recorded_at, encode(e.hash, 'hex') as hash, encode(e.prev_hash, 'hex') as prev_hash`;

/** Events a stream's retention settings or soft deletion hide from stream and case reads. */
const VISIBLE = `(s.truncate_before is null or e.revision >= s.truncate_before)
  and (s.deleted_before is null or e.revision >= s.deleted_before)
  and (s.max_age_seconds is null or e.recorded_at >= now() - make_interval(secs => s.max_age_seconds))`;

const toEvent = (row: EventRow): StoredEvent => ({
  id: row.id,
  type: row.type,
  schemaVersion: Number(row.schema_version),
  stream: row.stream,
  revision: Number(row.revision),
  position: Number(row.position),
  recordedAt: row.recorded_at,
  data: row.data,
  metadata: row.metadata,
  hash: row.hash,
  prevHash: row.prev_hash,
});

const expectedCode = (expected: ExpectedState): number | null => {
  if (expected === 'any') return null;
  if (expected === 'no-stream') return -1;
  if (expected === 'exists') return -2;
  if (!Number.isInteger(expected.revision) || expected.revision < 0) {
    throw new InvalidEventError([`expected revision must be a whole number ≥ 0, got ${expected.revision}`]);
  }
  return expected.revision;
};

const filterSql = (filter: EventFilter | undefined, params: unknown[]): string => {
  const clauses: string[] = [];
  if (filter?.streamCategories && filter.streamCategories.length > 0) {
    params.push(JSON.stringify(filter.streamCategories));
    // `= any(array(…))`, not `in (select …)`: the latter plans as a hash semi-join over every later event, then a
    // sort of them all (on disk, for a large store) on every page; this one stays an ordered scan with a filter.
    clauses.push(`e.category = any(array(select jsonb_array_elements_text($${params.length}::jsonb)))`);
  }
  if (filter?.eventTypePrefixes && filter.eventTypePrefixes.length > 0) {
    params.push(JSON.stringify(filter.eventTypePrefixes));
    clauses.push(
      `exists (select 1 from jsonb_array_elements_text($${params.length}::jsonb) p (prefix) where starts_with(e.type, p.prefix))`,
    );
  }
  if (filter?.tenantIds && filter.tenantIds.length > 0) {
    params.push(JSON.stringify(filter.tenantIds));
    clauses.push(`e.tenant_id = any(array(select jsonb_array_elements_text($${params.length}::jsonb)))`);
  }
  return clauses.map((clause) => ` and ${clause}`).join('');
};

export class PostgresEventStore implements EventStore {
  readonly sql: Sql;
  readonly #maxEventBytes: number;
  readonly #now: () => Date;
  readonly #notifier: Notifier;
  readonly #tail: TailWindow;
  readonly #ownsConnection: boolean;

  private constructor(sql: Sql, options: PostgresEventStoreOptions) {
    this.sql = sql;
    this.#maxEventBytes = options.maxEventBytes ?? DEFAULT_MAX_EVENT_BYTES;
    this.#now = options.now ?? (() => new Date());
    this.#ownsConnection = options.ownsConnection ?? true;
    this.#notifier = new Notifier(
      (onNotify, onError) => sql.listen('es_events', onNotify, onError),
      options.pollIntervalMs ?? 1_000,
    );
    this.#tail = new TailWindow((after, upTo, limit) => this.readAllUpTo(after, upTo, limit), 1_000);
  }

  /** Opens the store on a connection and migrates its schema. */
  static async open(sql: Sql, options: PostgresEventStoreOptions = {}): Promise<PostgresEventStore> {
    await migrate(sql);
    return new PostgresEventStore(sql, options);
  }

  /** On the PostgreSQL server. */
  static connect(url: string, options: PostgresEventStoreOptions = {}): Promise<PostgresEventStore> {
    return PostgresEventStore.open(pgSql(url), options);
  }

  /** Embedded: in memory without a directory, else persisted there. */
  static async embedded(dataDir?: string, options: PostgresEventStoreOptions = {}): Promise<PostgresEventStore> {
    const db = dataDir ? await PGlite.create(dataDir) : await PGlite.create();
    return PostgresEventStore.open(pgliteSql(db), options);
  }

  async append(
    stream: string,
    events: readonly EventToAppend[],
    expected: ExpectedState = 'any',
  ): Promise<AppendResult> {
    validateStreamName(stream);
    const code = expectedCode(expected);
    const recordedAt = this.#now();
    const at = recordedAt.toISOString();
    const ids: string[] = [];
    // The payload is built around the JSON prepareEvents already made (no second serialisation of data).
    const items = prepareEvents(events, this.#maxEventBytes).map(({ event, dataJson, metadataJson }) => {
      const schemaVersion = event.schemaVersion ?? 1;
      const hash = contentHash({
        stream,
        id: event.id,
        type: event.type,
        schemaVersion,
        recordedAt,
        data: JSON.parse(dataJson) as Json,
        metadata: JSON.parse(metadataJson) as EventMetadata,
      });
      ids.push(event.id);
      return `{"id":${JSON.stringify(event.id)},"type":${JSON.stringify(event.type)},"schemaVersion":${schemaVersion},"recordedAt":"${at}","data":${dataJson},"metadata":${metadataJson},"contentHash":"${hash.toString('hex')}"}`;
    });
    const payload = `[${items.join(',')}]`;
    try {
      const [row] = await this.sql.query<{ out_revision: number; out_position: number }>(
        'select out_revision, out_position from es_append($1, $2, $3::jsonb)',
        [stream, code, payload],
      );
      if (!row) throw new Error('es_append returned no row');
      return { nextExpectedRevision: Number(row.out_revision), position: Number(row.out_position), replayed: false };
    } catch (error) {
      const { code: sqlState } = error as SqlError;
      if (sqlState === 'ES409' || sqlState === '23505') {
        // A conflict may be an idempotent re-append of events stored before: then answer as the first time.
        const replay = await this.sql
          .query<{ out_revision: number; out_position: number }>(
            'select out_revision, out_position from es_replayed($1, $2::jsonb)',
            [stream, payload],
          )
          .catch((check: unknown) => {
            throw this.#translate(check, stream, expected, ids);
          });
        const [replayed] = replay;
        if (replayed) {
          return {
            nextExpectedRevision: Number(replayed.out_revision),
            position: Number(replayed.out_position),
            replayed: true,
          };
        }
      }
      throw this.#translate(error, stream, expected, ids);
    }
  }

  #translate(error: unknown, stream: string, expected: ExpectedState, ids: readonly string[]): unknown {
    const { code, detail } = error as SqlError;
    switch (code) {
      case 'ES409':
        return new VersionConflictError(stream, expected, Number(detail));
      case 'ES410':
        return new StreamDeletedError(stream);
      case 'ES422':
        return new IdempotencyConflictError(stream, detail ? (JSON.parse(detail) as string[]) : ids);
      case '23505': // a concurrent append stored one of these ids first
        return new IdempotencyConflictError(stream, ids);
      case '22P05': // untranslatable character (e.g. \u0000) in jsonb
      case '22P02':
        return new InvalidEventError([(error as Error).message]);
      default:
        return error;
    }
  }

  async readStream(stream: string, options: ReadStreamOptions = {}): Promise<StoredEvent[]> {
    validateStreamName(stream);
    const backwards = options.direction === 'backwards';
    const from = options.fromRevision ?? (backwards ? Number.MAX_SAFE_INTEGER : 0);
    // One statement: the events, or — when there are none — one row of nulls carrying the stream's state (a
    // tombstoned stream has no events left, so only an empty answer needs it).
    const rows = await this.sql.query<EventRow & { stream_state: string | null }>(
      `select ${EVENT_COLUMNS}, s.state as stream_state
         from (select 1) one left join es_streams s on s.stream = $1
         left join lateral (
           select e.* from es_events e
            where e.stream = $1 and e.revision ${backwards ? '<=' : '>='} $2 and ${VISIBLE}
            order by e.revision ${backwards ? 'desc' : 'asc'} limit $3
         ) e on true
        order by e.revision ${backwards ? 'desc' : 'asc'}`,
      [stream, from, limitOf(options.limit)],
    );
    const [first] = rows;
    if (first && first.id === null) {
      if (first.stream_state === 'tombstoned') throw new StreamDeletedError(stream);
      return [];
    }
    return rows.map(toEvent);
  }

  async readAll(options: ReadAllOptions = {}): Promise<StoredEvent[]> {
    const params: unknown[] = [options.afterPosition ?? 0, limitOf(options.limit)];
    const rows = await this.sql.query<EventRow>(
      `select ${EVENT_COLUMNS} from es_events e
        where e.position > $1${filterSql(options.filter, params)}
        order by e.position limit $2`,
      params,
    );
    return rows.map(toEvent);
  }

  /** readAll bounded above by `upTo` (inclusive): what subscriptions read below a head they have observed. */
  async readAllUpTo(afterPosition: number, upTo: number, limit: number, filter?: EventFilter): Promise<StoredEvent[]> {
    const params: unknown[] = [afterPosition, upTo, limit];
    const rows = await this.sql.query<EventRow>(
      `select ${EVENT_COLUMNS} from es_events e
        where e.position > $1 and e.position <= $2${filterSql(filter, params)}
        order by e.position limit $3`,
      params,
    );
    return rows.map(toEvent);
  }

  async readCase(tenantId: string, caseId: string, options: ReadCaseOptions = {}): Promise<StoredEvent[]> {
    const rows = await this.sql.query<EventRow>(
      `select ${EVENT_COLUMNS} from es_case_events c
         join es_events e on e.position = c.position
         left join es_streams s on s.stream = e.stream
        where c.tenant_id = $1 and c.case_id = $2 and c.position > $3 and ${VISIBLE}
        order by c.position limit $4`,
      [tenantId, caseId, options.afterPosition ?? 0, limitOf(options.limit)],
    );
    return rows.map(toEvent);
  }

  async headPosition(): Promise<number> {
    const [row] = await this.sql.query<{ head: number | string | null }>('select max(position) as head from es_events');
    return Number(row?.head ?? 0);
  }

  subscribe(options: SubscribeOptions, handler: EventHandler): Subscription {
    return new PollingSubscription(
      {
        head: () => this.headPosition(),
        // Subscriptions that keep up share one read of the newest events; one behind reads with its filter.
        read: async (after, upTo, limit) =>
          (await this.#tail.page(after, upTo, limit, options.filter)) ??
          pageOf(await this.readAllUpTo(after, upTo, limit, options.filter), upTo, limit),
        notifier: this.#notifier,
      },
      options,
      handler,
    );
  }

  async getStream(stream: string): Promise<StreamInfo | undefined> {
    const [row] = await this.sql.query<{
      revision: number | string | null;
      state: StreamInfo['state'] | null;
      max_age_seconds: number | string | null;
      truncate_before: number | string | null;
    }>(
      `select (select max(e.revision) from es_events e where e.stream = $1) as revision,
              s.state, s.max_age_seconds, s.truncate_before
         from (select 1) one left join es_streams s on s.stream = $1`,
      [stream],
    );
    if (!row || (row.revision === null && row.state === null)) return undefined;
    return {
      stream,
      revision: row.revision === null ? -1 : Number(row.revision),
      state: row.state ?? 'active',
      metadata: {
        maxAgeSeconds: row.max_age_seconds === null ? undefined : Number(row.max_age_seconds),
        truncateBefore: row.truncate_before === null ? undefined : Number(row.truncate_before),
      },
    };
  }

  async setStreamMetadata(stream: string, metadata: StreamMetadata): Promise<void> {
    validateStreamName(stream);
    const issues: string[] = [];
    if (
      metadata.maxAgeSeconds !== undefined &&
      !(Number.isInteger(metadata.maxAgeSeconds) && metadata.maxAgeSeconds > 0)
    ) {
      issues.push('maxAgeSeconds: expected a whole number > 0');
    }
    if (
      metadata.truncateBefore !== undefined &&
      !(Number.isInteger(metadata.truncateBefore) && metadata.truncateBefore >= 0)
    ) {
      issues.push('truncateBefore: expected a whole number ≥ 0');
    }
    if (issues.length > 0) throw new InvalidEventError(issues);
    await this.sql.query(
      `insert into es_streams (stream, category, max_age_seconds, truncate_before) values ($1, split_part($1, '-', 1), $2, $3)
       on conflict (stream) do update set max_age_seconds = excluded.max_age_seconds, truncate_before = excluded.truncate_before`,
      [stream, metadata.maxAgeSeconds ?? null, metadata.truncateBefore ?? null],
    );
  }

  async deleteStream(stream: string, options: { expected?: ExpectedState; hard?: boolean } = {}): Promise<void> {
    validateStreamName(stream);
    const expected = options.expected ?? 'any';
    await this.sql.transaction(async (tx) => {
      // Under the appends' lock, so no append interleaves with the check and the deletion.
      await tx.query('select pg_advisory_xact_lock($1)', [COMMIT_ORDER_LOCK]);
      const [row] = await tx.query<{ revision: number | string | null; state: StreamInfo['state'] | null }>(
        `select (select max(e.revision) from es_events e where e.stream = $1) as revision, s.state
           from (select 1) one left join es_streams s on s.stream = $1`,
        [stream],
      );
      if (row?.state === 'tombstoned') throw new StreamDeletedError(stream);
      const revision = row?.revision === null || row?.revision === undefined ? -1 : Number(row.revision);
      const exists = (row?.state ?? 'active') === 'active' && revision >= 0;
      const conflict =
        (expected === 'no-stream' && exists) ||
        (expected === 'exists' && !exists) ||
        (typeof expected === 'object' && expected.revision !== revision);
      if (conflict) throw new VersionConflictError(stream, expected, revision);
      if (options.hard) {
        await tx.query('delete from es_events where stream = $1', [stream]);
        await tx.query(
          `insert into es_streams (stream, category, state) values ($1, split_part($1, '-', 1), 'tombstoned')
           on conflict (stream) do update set state = 'tombstoned'`,
          [stream],
        );
      } else if (revision >= 0) {
        await tx.query(
          `insert into es_streams (stream, category, state, deleted_before) values ($1, split_part($1, '-', 1), 'deleted', $2)
           on conflict (stream) do update set state = 'deleted', deleted_before = excluded.deleted_before`,
          [stream, revision + 1],
        );
      }
    });
    if (options.hard) this.#tail.clear(); // its events may be in the window of subscriptions' reads
  }

  async close(): Promise<void> {
    await this.#notifier.close();
    if (this.#ownsConnection) await this.sql.close();
  }
}

/** Checkpoints in the same database as the events (so a handler may store both in one transaction later). */
export class PostgresCheckpointStore implements CheckpointStore {
  readonly #sql: Sql;
  constructor(sql: Sql) {
    this.#sql = sql;
  }

  async load(subscriberId: string): Promise<number | undefined> {
    const [row] = await this.#sql.query<{ position: number | string }>(
      'select position from es_checkpoints where subscriber_id = $1',
      [subscriberId],
    );
    return row ? Number(row.position) : undefined;
  }

  async store(subscriberId: string, position: number): Promise<void> {
    await this.#sql.query(
      `insert into es_checkpoints (subscriber_id, position) values ($1, $2)
       on conflict (subscriber_id) do update set position = excluded.position, updated_at = now()`,
      [subscriberId, position],
    );
  }
}
