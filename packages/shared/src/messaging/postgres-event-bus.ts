/**
 * The EventBus of the embedded mode, stored in the embedded database (PGlite; the same SQL runs on the PostgreSQL
 * server): the semantics of the Kafka adapter — partitions by key (Kafka's murmur2), per-partition order, consumer
 * groups with committed offsets and rebalancing among the members in this process, retries with backoff and
 * dead-letter topics (the shared `deliver`), `fromBeginning`, consumer lag — on partition logs in tables, so that a
 * restart loses nothing.
 *
 * Why durable: a relay moves its checkpoint once `publish` has returned. On an in-memory bus that left the only copy
 * of an event a consumer had not handled yet in the process: a crash lost it (a case never got its pre-check).
 * Here `publish` returns once its messages are committed to the database, and a group's offset moves only after the
 * handler succeeded (or the message was dead-lettered, in the same transaction as the dead letter), one message at a
 * time: after a crash at any moment, every message published is there, and a group resumes at its first message
 * whose handler had not succeeded — at most the one message per partition whose handler had finished but whose
 * commit had not is handled again (at-least-once, as on Kafka: handlers are idempotent).
 *
 * Tables (created with `ensureSchema`, so concurrent starts are safe): `bus_topics` (partition count),
 * `bus_partitions` (per partition the next offset to give and the oldest retained), `bus_messages` (the logs),
 * `bus_group_offsets` (per group and partition the next offset to consume).
 * - Publish is one statement per call (`bus_append_one`, `bus_append`): it bumps each partition's `next_offset` (a
 *   row lock, held to commit) and inserts the messages at the offsets it took, so offsets are unique and gap-free
 *   per partition under concurrent publishers, and commit order is offset order (a reader never sees offset n+1
 *   before n). A call spanning several partitions locks them in ascending order, so two such calls cannot deadlock.
 *   In plpgsql because its statements' plans are kept per connection: on PGlite one message costs 1.4–1.8× a raw
 *   insert of the same row (bus.bench.ts); the same SQL as one CTE statement, planned on every call, cost about
 *   twice what the function does.
 * - Consumers are woken in-process when a publish commits; a bounded fallback poll (`pollIntervalMs`) covers what
 *   no wake-up announces (another process publishing into the same server database).
 * - A group's position on each partition of its topics is stored when it subscribes (the beginning or the end, by
 *   `fromBeginning`), so a group that joined at the end and crashed before handling anything still gets what was
 *   published after it joined.
 *
 * Retention (bounded storage), every `retentionIntervalMs` and on `applyRetention()`: a partition drops the messages
 * that every group with a position on it has committed past, and in any case keeps at most `retainPerPartition`
 * (default 100,000). A group that fell behind what is retained continues at the oldest retained message, as on
 * Kafka after retention; a group subscribing for the first time with `fromBeginning` starts at the oldest retained,
 * which — once every earlier group has consumed a message — may be later than the first message ever published.
 * Dead-letter topics usually have no group, so they keep their newest `retainPerPartition`. On PGlite, which runs
 * no autovacuum, the sweep vacuums the bus tables after it deleted rows, so their files do not grow without bound.
 *
 * One bus per database and process: group membership, rebalancing and wake-ups live in this object. Two processes
 * (or two buses) consuming with the same group on one database would each deliver every message; the embedded data
 * directory is locked to one process anyway. Durable against the process dying at any moment (`kill -9`: the crash
 * test); against a power loss only as far as PGlite itself is, which runs with `fsync` off.
 */
import { ensureSchema } from '../event-sourcing/postgres/migrations.ts';
import type { Sql } from '../event-sourcing/postgres/sql.ts';
import { DeliveryAbandoned, deliver, partitionOf } from './delivery.ts';
import type {
  Consumer,
  ConsumerOptions,
  EventBus,
  IncomingMessage,
  MessageHandler,
  OutgoingMessage,
  TopicSpec,
} from './types.ts';

export interface PostgresEventBusOptions {
  readonly defaultPartitions?: number;
  /** The most messages a partition keeps, whether consumed or not (default 100,000). */
  readonly retainPerPartition?: number;
  /** How often consumed messages are dropped (ms, default 30,000; 0: only on `applyRetention()`). */
  readonly retentionIntervalMs?: number;
  /** The fallback poll of an idle partition when no publish in this process wakes it (ms, default 1,000). */
  readonly pollIntervalMs?: number;
  /** Messages read per query by a partition's consumer (default 100). */
  readonly fetchSize?: number;
  /** Close the connection with the bus (default false: the bus usually shares the event store's). */
  readonly ownsConnection?: boolean;
  /** A database failure in a consumer or in the retention sweep (each is retried); default: a process warning. */
  readonly onError?: (error: unknown, where: BusErrorContext) => void;
}

export interface BusErrorContext {
  readonly operation: 'consume' | 'commit' | 'retention';
  readonly groupId?: string;
  readonly topic?: string;
  readonly partition?: number;
}

const SCHEMA = `
create table if not exists bus_topics (
  topic      text primary key,
  partitions integer not null check (partitions > 0)
);
create table if not exists bus_partitions (
  topic       text not null,
  partition   integer not null,
  next_offset bigint not null default 0, -- the offset the next message gets (the log end)
  low_offset  bigint not null default 0, -- the oldest offset retained (the log start)
  primary key (topic, partition)
);
create table if not exists bus_messages (
  topic     text not null,
  partition integer not null,
  "offset"  bigint not null,
  key       text,
  value     bytea not null,
  headers   text not null, -- JSON object of strings (text, not jsonb: jsonb refuses \\u0000 in an error text)
  primary key (topic, partition, "offset")
);
create table if not exists bus_group_offsets (
  group_id  text not null,
  topic     text not null,
  partition integer not null,
  committed bigint not null, -- the next offset the group consumes
  primary key (group_id, topic, partition)
);

-- Appends one message to a partition; returns its offset. The update takes the partition's row lock, held until
-- commit: publishers of one partition draw offsets one after another, and commit in offset order.
create or replace function bus_append_one(p_topic text, p_partition integer, p_key text, p_value bytea,
                                          p_headers text) returns bigint
language plpgsql as $fn$
declare
  v_offset bigint;
begin
  update bus_partitions set next_offset = next_offset + 1
   where topic = p_topic and partition = p_partition
  returning next_offset - 1 into v_offset;
  if v_offset is null then
    raise exception 'bus: no partition % of topic %', p_partition, p_topic;
  end if;
  insert into bus_messages (topic, partition, "offset", key, value, headers)
  values (p_topic, p_partition, v_offset, p_key, p_value, p_headers);
  return v_offset;
end
$fn$;

-- Appends messages whose partitions are chosen, partition by partition in ascending order (so concurrent calls lock
-- the rows in one order and cannot deadlock), each at its partition's next offsets in the order given.
create or replace function bus_append(p_topic text, p_partitions integer[], p_keys text[], p_values bytea[],
                                      p_headers text[]) returns void
language plpgsql as $fn$
declare
  v_partition integer;
  v_count     integer;
  v_first     bigint;
begin
  for v_partition, v_count in
    select m.partition, count(*)::integer from unnest(p_partitions) m (partition)
     group by m.partition order by m.partition
  loop
    update bus_partitions set next_offset = next_offset + v_count
     where topic = p_topic and partition = v_partition
    returning next_offset - v_count into v_first;
    if v_first is null then
      raise exception 'bus: no partition % of topic %', v_partition, p_topic;
    end if;
    insert into bus_messages (topic, partition, "offset", key, value, headers)
    select p_topic, v_partition, v_first + row_number() over (order by m.ord) - 1, m.key, m.value, m.headers
      from unnest(p_partitions, p_keys, p_values, p_headers) with ordinality m (partition, key, value, headers, ord)
     where m.partition = v_partition;
  end loop;
end
$fn$;`;

/** Creates what is missing of a topic in one statement: its row and all its partitions, or nothing. */
const CREATE_TOPIC = `
with created as (
  insert into bus_topics (topic, partitions) values ($1, $2) on conflict (topic) do nothing
  returning topic, partitions
)
insert into bus_partitions (topic, partition)
select c.topic, g from created c, generate_series(0, c.partitions - 1) g`;

const JOIN_GROUP = `
insert into bus_group_offsets (group_id, topic, partition, committed)
select $1, p.topic, p.partition, case when $3::boolean then p.low_offset else p.next_offset end
  from bus_partitions p where p.topic = any($2::text[])
on conflict do nothing`;

const POSITION = `select committed from bus_group_offsets where group_id = $1 and topic = $2 and partition = $3`;

const FETCH = `select "offset", key, encode(value, 'hex') as value, headers from bus_messages
  where topic = $1 and partition = $2 and "offset" >= $3 order by "offset" limit $4`;

const COMMIT = `insert into bus_group_offsets (group_id, topic, partition, committed) values ($1, $2, $3, $4)
  on conflict (group_id, topic, partition) do update set committed = excluded.committed`;

const LAG = `
select coalesce(sum(greatest(0, p.next_offset - greatest(coalesce(o.committed, p.low_offset), p.low_offset))), 0)::bigint
       as lag
  from bus_partitions p
  left join bus_group_offsets o on o.group_id = $1 and o.topic = p.topic and o.partition = p.partition
 where p.topic = any($2::text[])`;

/** Moves each partition's log start past what every group committed (and at least to the newest $1), drops the rest. */
const RETAIN = `
with bounds as (
  select p.topic, p.partition,
         greatest(p.next_offset - $1, coalesce(min(o.committed), p.low_offset)) as low
    from bus_partitions p
    left join bus_group_offsets o on o.topic = p.topic and o.partition = p.partition
   group by p.topic, p.partition
), moved as (
  update bus_partitions p set low_offset = b.low
    from bounds b
   where p.topic = b.topic and p.partition = b.partition and b.low > p.low_offset
  returning p.topic, p.partition, p.low_offset
), deleted as (
  delete from bus_messages m using moved
   where m.topic = moved.topic and m.partition = moved.partition and m."offset" < moved.low_offset
  returning 1
)
select count(*)::int as deleted from deleted`;

interface MessageRow extends Record<string, unknown> {
  offset: number | string;
  key: string | null;
  value: string;
  headers: string;
}

type Executor = Pick<Sql, 'query'>;

const tpKey = (topic: string, partition: number) => `${topic}\u0000${partition}`;

function headersOf(text: string): Record<string, string> {
  const parsed: unknown = JSON.parse(text);
  const headers: Record<string, string> = {};
  if (parsed !== null && typeof parsed === 'object') {
    for (const [name, value] of Object.entries(parsed)) if (typeof value === 'string') headers[name] = value;
  }
  return headers;
}

/** Wake-ups of waiting partition loops, by topic-partition; each wait ends by itself after its fallback interval. */
class Waiters {
  readonly #byKey = new Map<string, Set<() => void>>();

  /** Armed before a read, so a publish committing while the loop reads is not missed. */
  arm(key: string, ms: number): { wait: Promise<void>; cancel: () => void } {
    let cancel: () => void = () => undefined;
    const wait = new Promise<void>((resolve) => {
      const set = this.#byKey.get(key) ?? new Set<() => void>();
      this.#byKey.set(key, set);
      const timer = setTimeout(() => done(), ms);
      const done = () => {
        clearTimeout(timer);
        set.delete(done);
        if (set.size === 0 && this.#byKey.get(key) === set) this.#byKey.delete(key);
        resolve();
      };
      set.add(done);
      cancel = done;
    });
    return { wait, cancel };
  }

  wake(key: string): void {
    for (const done of [...(this.#byKey.get(key) ?? [])]) done();
  }

  wakeAll(): void {
    for (const set of [...this.#byKey.values()]) for (const done of [...set]) done();
  }
}

class Member {
  readonly assigned = new Set<string>();
  readonly loops = new Set<Promise<void>>();
  stopping = false;
  readonly options: ConsumerOptions;
  readonly handler: MessageHandler;
  constructor(options: ConsumerOptions, handler: MessageHandler) {
    this.options = options;
    this.handler = handler;
  }
}

class Group {
  readonly members: Member[] = [];
  /** The loop that last owned each partition: a new owner starts only after it ended (and committed). */
  readonly running = new Map<string, Promise<void>>();
}

export class PostgresEventBus implements EventBus {
  readonly #sql: Sql;
  readonly #partitions = new Map<string, number>();
  readonly #groups = new Map<string, Group>();
  readonly #consumers = new Set<Consumer>();
  readonly #waiters = new Waiters();
  readonly #defaultPartitions: number;
  readonly #retain: number;
  readonly #pollMs: number;
  readonly #fetchSize: number;
  readonly #onError: (error: unknown, where: BusErrorContext) => void;
  readonly #retentionTimer: ReturnType<typeof setInterval> | undefined;
  readonly #ownsConnection: boolean;
  #retention: Promise<number> | undefined;
  #closed = false;

  private constructor(sql: Sql, options: PostgresEventBusOptions) {
    this.#sql = sql;
    this.#defaultPartitions = options.defaultPartitions ?? 6;
    this.#retain = Math.max(1, options.retainPerPartition ?? 100_000);
    this.#pollMs = options.pollIntervalMs ?? 1_000;
    this.#fetchSize = Math.max(1, options.fetchSize ?? 100);
    this.#ownsConnection = options.ownsConnection ?? false;
    this.#onError =
      options.onError ??
      ((error, where) => process.emitWarning(`event bus ${where.operation} failed (retried): ${String(error)}`));
    const every = options.retentionIntervalMs ?? 30_000;
    if (every > 0) {
      this.#retentionTimer = setInterval(() => {
        this.applyRetention().catch((error: unknown) => this.#onError(error, { operation: 'retention' }));
      }, every);
      this.#retentionTimer.unref();
    }
  }

  /** Opens the bus on a database (creating its tables if missing). */
  static async open(sql: Sql, options: PostgresEventBusOptions = {}): Promise<PostgresEventBus> {
    await ensureSchema(sql, SCHEMA);
    return new PostgresEventBus(sql, options);
  }

  async ensureTopics(topics: readonly TopicSpec[]): Promise<void> {
    const missing = topics.filter((spec) => !this.#partitions.has(spec.topic));
    if (missing.length === 0) return;
    for (const spec of missing) {
      await this.#sql.query(CREATE_TOPIC, [spec.topic, spec.partitions ?? this.#defaultPartitions]);
    }
    // A topic created before (by this or another process) keeps the partition count it was created with.
    const rows = await this.#sql.query<{ topic: string; partitions: number }>(
      'select topic, partitions from bus_topics where topic = any($1::text[])',
      [missing.map((spec) => spec.topic)],
    );
    for (const row of rows) this.#partitions.set(row.topic, Number(row.partitions));
  }

  async #partitionCount(topic: string): Promise<number> {
    const known = this.#partitions.get(topic);
    if (known !== undefined) return known;
    const [row] = await this.#sql.query<{ partitions: number }>('select partitions from bus_topics where topic = $1', [
      topic,
    ]);
    if (!row) throw new Error(`unknown topic ${topic} (create it with ensureTopics)`);
    this.#partitions.set(topic, Number(row.partitions));
    return Number(row.partitions);
  }

  async publish(topic: string, messages: readonly OutgoingMessage[]): Promise<void> {
    if (messages.length === 0) return;
    const count = await this.#partitionCount(topic);
    const touched = await this.#append(this.#sql, topic, count, messages);
    for (const partition of touched) this.#waiters.wake(tpKey(topic, partition));
  }

  /** Appends `messages` to `topic` on `db` (the connection, or a transaction); returns the partitions written. */
  async #append(db: Executor, topic: string, count: number, messages: readonly OutgoingMessage[]): Promise<number[]> {
    const bytesOf = (message: OutgoingMessage) =>
      Buffer.isBuffer(message.value) ? message.value : Buffer.from(message.value);
    const [only] = messages;
    if (messages.length === 1 && only) {
      // The relay's case (one message per call): scalar parameters, the cheapest call on PGlite.
      const partition = partitionOf(only.key, count);
      await db.query('select bus_append_one($1, $2, $3, $4, $5)', [
        topic,
        partition,
        only.key,
        bytesOf(only),
        JSON.stringify(only.headers ?? {}),
      ]);
      return [partition];
    }
    const partitions = messages.map((message) => partitionOf(message.key, count));
    await db.query('select bus_append($1, $2::int[], $3::text[], $4::bytea[], $5::text[])', [
      topic,
      partitions,
      messages.map((message) => message.key),
      messages.map(bytesOf),
      messages.map((message) => JSON.stringify(message.headers ?? {})),
    ]);
    return [...new Set(partitions)];
  }

  async subscribe(options: ConsumerOptions, handler: MessageHandler): Promise<Consumer> {
    await this.ensureTopics(
      options.topics.map((topic) => ({ topic, ...(topic.includes('.dlq.') ? { partitions: 1 } : {}) })),
    );
    // The group's position on every partition, stored now if it has none: its start does not depend on when a
    // partition loop first runs, and survives a crash before the first commit.
    await this.#sql.query(JOIN_GROUP, [options.groupId, [...options.topics], options.fromBeginning ?? true]);
    const group = this.#groups.get(options.groupId) ?? new Group();
    this.#groups.set(options.groupId, group);
    const member = new Member(options, handler);
    group.members.push(member);
    this.#rebalance(options.groupId, group);
    const consumer: Consumer = {
      groupId: options.groupId,
      ready: Promise.resolve(),
      stop: async () => {
        if (member.stopping) return;
        member.stopping = true;
        this.#waiters.wakeAll();
        await Promise.allSettled([...member.loops]);
        group.members.splice(group.members.indexOf(member), 1);
        this.#rebalance(options.groupId, group);
        this.#consumers.delete(consumer);
      },
    };
    this.#consumers.add(consumer);
    return consumer;
  }

  /** Assigns every partition of the group's topics round-robin to the members subscribed to it. */
  #rebalance(groupId: string, group: Group): void {
    const next = new Map<Member, Set<string>>(group.members.map((m) => [m, new Set<string>()]));
    const topics = [...new Set(group.members.flatMap((m) => m.options.topics))].sort();
    let turn = 0;
    for (const topic of topics) {
      const members = group.members.filter((m) => m.options.topics.includes(topic));
      const partitions = this.#partitions.get(topic) ?? 0;
      for (let partition = 0; partition < partitions && members.length > 0; partition++) {
        const owner = members[turn++ % members.length];
        if (owner) next.get(owner)?.add(tpKey(topic, partition));
      }
    }
    for (const member of group.members) {
      const assignment = next.get(member) ?? new Set<string>();
      for (const tp of [...member.assigned]) if (!assignment.has(tp)) member.assigned.delete(tp);
      for (const tp of assignment) {
        if (member.assigned.has(tp)) continue;
        member.assigned.add(tp);
        const previous = group.running.get(tp) ?? Promise.resolve();
        const loop = previous.then(() => this.#consume(groupId, member, tp));
        group.running.set(tp, loop);
        member.loops.add(loop);
        void loop.finally(() => member.loops.delete(loop));
      }
    }
    this.#waiters.wakeAll(); // revoked loops notice and end
  }

  /** Waits `ms`, ending early only when the partition is given up (not when messages arrive). */
  async #pause(tp: string, ms: number, owns: () => boolean): Promise<void> {
    for (const until = Date.now() + ms; Date.now() < until && owns(); ) {
      await this.#waiters.arm(`${tp}\u0000pause`, until - Date.now()).wait;
    }
  }

  async #consume(groupId: string, member: Member, tp: string): Promise<void> {
    const [topic = '', partitionText = '0'] = tp.split('\u0000');
    const partition = Number(partitionText);
    const owns = () => member.assigned.has(tp) && !member.stopping && !this.#closed;
    const where = { groupId, topic, partition };
    let next: number | undefined; // the next offset to deliver; read from the group's committed offset
    let failures = 0;
    const failed = async (error: unknown, operation: 'consume' | 'commit') => {
      this.#onError(error, { operation, ...where });
      next = undefined; // start again at what is committed
      await this.#pause(tp, Math.min(5_000, 100 * 2 ** Math.min(failures++, 6)), owns);
    };
    while (owns()) {
      const wake = this.#waiters.arm(tp, this.#pollMs);
      let rows: MessageRow[];
      try {
        if (next === undefined) {
          const [row] = await this.#sql.query<{ committed: number | string }>(POSITION, [groupId, topic, partition]);
          next = Number(row?.committed ?? 0);
        }
        rows = await this.#sql.query<MessageRow>(FETCH, [topic, partition, next, this.#fetchSize]);
      } catch (error) {
        wake.cancel();
        await failed(error, 'consume');
        continue;
      }
      if (rows.length === 0) {
        await wake.wait;
        continue;
      }
      // A short page was all there was: after it, the loop waits for the next publish (the wake-up armed before
      // the read ends at once if one came meanwhile) instead of reading once more to find nothing.
      const drained = rows.length < this.#fetchSize;
      if (!drained) wake.cancel();
      let broke = false;
      try {
        // PGlite answers in microtasks: a backlog worked off without a pause would keep timers and I/O waiting.
        await new Promise((resolve) => setImmediate(resolve));
        for (const row of rows) {
          if (!owns()) return;
          const offset = Number(row.offset);
          try {
            const message: Omit<IncomingMessage, 'attempt'> = {
              topic,
              partition,
              offset: String(offset),
              key: row.key,
              value: Buffer.from(row.value, 'hex'),
              headers: headersOf(row.headers),
            };
            const outcome = await deliver(
              message,
              member.handler,
              member.options,
              () => !owns(),
              (ms) => this.#pause(tp, ms, owns),
            );
            const commit = [groupId, topic, partition, offset + 1];
            if (outcome.kind === 'dead-letter') {
              await this.ensureTopics([{ topic: outcome.topic, partitions: 1 }]);
              const count = await this.#partitionCount(outcome.topic);
              // The dead letter and the commit in one transaction: after a crash, either both or neither.
              await this.#sql.transaction(async (tx) => {
                await this.#append(tx, outcome.topic, count, [outcome.message]);
                await tx.query(COMMIT, commit);
              });
              this.#waiters.wake(tpKey(outcome.topic, partitionOf(outcome.message.key, count)));
            } else {
              await this.#sql.query(COMMIT, commit);
            }
            next = offset + 1;
            failures = 0;
          } catch (error) {
            if (error instanceof DeliveryAbandoned) return; // not committed: the next owner starts at this message
            broke = true;
            await failed(error, 'commit');
            break;
          }
        }
        if (drained && !broke) await wake.wait;
      } finally {
        wake.cancel();
      }
    }
  }

  async consumerLag(groupId: string, topics: readonly string[]): Promise<number> {
    const [row] = await this.#sql.query<{ lag: number | string }>(LAG, [groupId, [...topics]]);
    return Number(row?.lag ?? 0);
  }

  /**
   * Drops the messages every group has committed past, and those beyond the newest `retainPerPartition` of each
   * partition; returns how many. Runs by itself every `retentionIntervalMs`.
   */
  applyRetention(): Promise<number> {
    this.#retention ??= (async () => {
      try {
        const [row] = await this.#sql.query<{ deleted: number }>(RETAIN, [this.#retain]);
        const deleted = Number(row?.deleted ?? 0);
        // PGlite runs no autovacuum: without this, deleted rows' space would never be reused.
        if (deleted > 0 && this.#sql.dialect === 'pglite') {
          await this.#sql.exec('vacuum bus_messages, bus_partitions, bus_group_offsets');
        }
        return deleted;
      } finally {
        this.#retention = undefined;
      }
    })();
    return this.#retention;
  }

  async isReachable(): Promise<boolean> {
    try {
      await this.#sql.query('select 1');
      return true;
    } catch {
      return false;
    }
  }

  /** Stops every consumer (each lets its running handler finish) and the retention sweep, then closes the connection
   * if the bus owns it. */
  async close(): Promise<void> {
    if (this.#retentionTimer) clearInterval(this.#retentionTimer);
    await Promise.allSettled([...this.#consumers].map((c) => c.stop()));
    this.#closed = true;
    this.#waiters.wakeAll();
    await this.#retention?.catch(() => undefined);
    if (this.#ownsConnection) await this.#sql.close();
  }
}
