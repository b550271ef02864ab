/**
 * The EventStore on KurrentDB (formerly EventStoreDB), through `@kurrent/kurrentdb-client` (KurrentDB ≥ 22.10, for
 * event positions on stream reads; the tests run 25.1).
 *
 * What maps directly: streams and their revisions; global positions (the commit position of an event in `$all`,
 * which for events appended over gRPC is the event's own log position: unique, and in commit order, so a later
 * position never becomes visible before an earlier one); optimistic concurrency (expected revision); soft delete
 * (`deleteStream`), hard delete (`tombstoneStream`); maxAge and truncateBefore (stream metadata); catch-up
 * subscriptions (`readAll` up to the head, then `subscribeToAll`).
 *
 * What the port needs beyond that, and where it is kept:
 * - schemaVersion, recordedAt and the hash chain: under the reserved key `$bk` of each event's KurrentDB metadata,
 *   stripped again on read, so `StoredEvent.metadata` is what the writer passed. To chain, an append reads the
 *   stream's last event and appends at exactly that revision; a concurrent writer makes it fail and, where the caller
 *   expected 'any' or 'exists', it reads again and retries (bounded).
 * - Idempotency by event id across the whole store: KurrentDB only recognises a repeated write of recent events to
 *   the same stream at the same expected revision. So each id is claimed first, by creating the stream
 *   `_bkEventId-<id>` (expected: no stream) naming the stream the event goes to. A claim that exists already names
 *   another stream (→ IdempotencyConflictError) or this one, and then the stream is searched for the ids from the
 *   revision recorded in the claim on (the events cannot lie before it): all of them, consecutive and with the same
 *   content → the append is a replay; some of them, or other content → IdempotencyConflictError. The claim costs one
 *   extra write per event; without it the contract's "same id in another stream" rule cannot be kept on KurrentDB.
 * - The case index: after the events, one `CaseEventIndexed` entry per event naming a case (caseId or caseIds) goes
 *   to `_bkCase-<tenant>/<case>`; readCase reads that stream and fetches each event by stream and revision.
 *
 * The adapter's own streams start with `_bk`: no stream name of the port can (see validateStreamName), so they never
 * clash with a user's streams, and readAll and subscriptions leave them out (they deliver only streams matching
 * `<lower-case letter>…-`, and no `$` system events). They are ordinary streams to other KurrentDB clients.
 *
 * Limitations, against the PostgreSQL reference:
 * - Not atomic: the id claims, the events and the case index are separate writes (KurrentDB ≥ 25.1 has
 *   multiStreamAppend, but only with string-valued metadata). A failure after the claims leaves ids reserved for
 *   that stream (a later append of them to another stream is refused, to the same stream it goes through); a failure
 *   between the events and their index entries makes the append reject although its events are stored: retrying it
 *   (same ids) replays and writes the index entries again (their ids are deterministic, readCase drops duplicates).
 *   A rebuild would re-index from `$all`. The alternative, KurrentDB's `$by_correlation_id`-style projections,
 *   needs the projection subsystem enabled on the server and is eventually consistent.
 * - Ids of a hard-deleted stream stay claimed by it (PostgreSQL frees them with the events).
 * - The hash chain cannot reach events the server hides (soft-deleted, truncated or expired): the first event
 *   appended after them has prevHash null. verifyStream trusts the first remaining event's prevHash, so it still
 *   verifies.
 * - getStream of a tombstoned stream reports revision -1 (KurrentDB no longer tells it). Writing the metadata of a
 *   soft-deleted stream undeletes it (the server's rule): its old events stay hidden, but it is then 'active'.
 * - KurrentDB limits the size of one append (MaxAppendSize, 1 MiB by default) where the port limits each event:
 *   set the server's limit above the largest append you make. Over it, the append fails with PayloadTooLargeError.
 * - Needs a client with throwOnAppendFailure (the default), and credentials that may read `$all`.
 */
import {
  type AllStreamSubscription,
  ANY,
  BACKWARDS,
  type Direction,
  END,
  type EventData,
  eventTypeFilter,
  type Filter,
  FORWARDS,
  type JSONType,
  jsonEvent,
  type AppendResult as KurrentAppendResult,
  KurrentDBClient,
  StreamDeletedError as KurrentStreamDeletedError,
  type StreamMetadata as KurrentStreamMetadata,
  MaxAppendSizeExceededError,
  NO_STREAM,
  type Position,
  type ReadPosition,
  type ReadRevision,
  START,
  StreamNotFoundError,
  type StreamState,
  StreamTombstonedError,
  streamNameFilter,
  WrongExpectedVersionError,
} from '@kurrent/kurrentdb-client';
import { deterministicId } from '../deterministic-id.ts';
import {
  IdempotencyConflictError,
  InvalidEventError,
  PayloadTooLargeError,
  StreamDeletedError,
  VersionConflictError,
} from '../errors.ts';
import { canonicalJson, chainHash, contentHash } from '../hashing.ts';
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
import { categoryOf, DEFAULT_MAX_EVENT_BYTES, limitOf, prepareEvents, validateStreamName } from '../validation.ts';

export interface KurrentDbEventStoreOptions {
  readonly maxEventBytes?: number;
  readonly now?: () => Date;
  /** Dispose of the client when the store closes (default true). */
  readonly ownsClient?: boolean;
}

/** The key of a KurrentDB event's metadata under which the port's own fields are kept. */
const RESERVED_KEY = '$bk';
const CLAIM_TYPE = 'EventIdClaimed';
const CASE_INDEX_TYPE = 'CaseEventIndexed';
const CHECKPOINT_TYPE = 'CheckpointStored';

const claimStream = (eventId: string): string => `_bkEventId-${eventId}`;
const caseIndexStream = (tenantId: string, caseId: string): string =>
  `_bkCase-${encodeURIComponent(tenantId)}/${encodeURIComponent(caseId)}`;
const checkpointStream = (subscriberId: string): string => `_bkCheckpoint-${subscriberId}`;

/** The streams of the port (see validateStreamName): what readAll and subscriptions deliver. */
const PORT_STREAM = /^[a-z][a-zA-Z0-9]*-/;
const PORT_STREAM_REGEX = '^[a-z]';

/** Appends expecting 'any' or 'exists' that lose a race to a concurrent writer re-read and retry this often. */
const MAX_APPEND_ATTEMPTS = 10;
/** How many claims, index writes or event fetches are in flight at once. */
const PARALLEL = 16;
const SCAN_PAGE = 500;
const READ_BACK_ATTEMPTS = 5;
const HEAD_PAGE = 100;
/** An expected revision no stream has: an empty append with it fails, and the failure tells the actual revision. */
const PROBE_REVISION = 2n ** 62n;
/** KurrentDB marks a soft-deleted stream with truncateBefore = long.MaxValue (2^63 - 1, imprecise as a number). */
const SOFT_DELETED_FROM = Number.MAX_SAFE_INTEGER;
/** What servers before 22.6 put where a stream read has no position (u64::MAX). */
const NO_POSITION = 2n ** 64n - 1n;

/** The fields of a recorded event that this adapter reads: what both stream and `$all` reads return. */
interface Recorded {
  readonly streamId: string;
  readonly id: string;
  readonly revision: bigint;
  readonly type: string;
  readonly created: Date;
  readonly isJson: boolean;
  readonly data: unknown;
  readonly metadata: unknown;
  readonly position?: Position | undefined;
}

/** What goes under RESERVED_KEY. */
interface Reserved {
  readonly recordedAt: string;
  readonly schemaVersion: number;
  readonly hash: string;
  readonly prevHash: string | null;
}

interface Pending {
  readonly id: string;
  readonly type: string;
  readonly schemaVersion: number;
  readonly data: Json;
  readonly metadata: EventMetadata;
  readonly content: Buffer;
  readonly bytes: number;
}

/** A stream's state as an append needs it. */
interface Tail {
  /** The revision of its last event, hidden or not; -1 when it never had one. */
  readonly revision: number;
  /** Has events and is not soft-deleted (the port's 'exists'). */
  readonly exists: boolean;
  readonly deleted: boolean;
  /** The hash of its last event, null when it has none or the server hides it. */
  readonly lastHash: Buffer | null;
  /** The stream metadata, when it was read on the way. */
  readonly metadata?: KurrentStreamMetadata | undefined;
}

/** An event to index: where it is, and the metadata naming its cases. */
interface Indexed {
  readonly stream: string;
  readonly revision: number;
  readonly position: number;
  readonly id: string;
  readonly metadata: EventMetadata;
}

/**
 * An entry of a case's index. `position` orders and filters the entries; it is the event's, except after a short
 * read-back (see #readBack), where it is that of the append's last event: no lower than the event's.
 */
interface CaseIndexEntry {
  readonly stream: string;
  readonly revision: number;
  readonly position: number;
  readonly eventId: string;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array);

const wholeOrUndefined = (value: unknown): number | undefined =>
  typeof value === 'number' && Number.isSafeInteger(value) ? value : undefined;

const checkWhole = (name: string, value: number): number => {
  if (!Number.isSafeInteger(value) || value < 0) throw new InvalidEventError([`${name} must be a whole number ≥ 0`]);
  return value;
};

const checkExpected = (expected: ExpectedState): void => {
  if (typeof expected === 'string') {
    if (expected === 'any' || expected === 'no-stream' || expected === 'exists') return;
    throw new InvalidEventError([`expected state must be 'any', 'no-stream', 'exists' or a revision`]);
  }
  if (!Number.isSafeInteger(expected.revision) || expected.revision < 0) {
    throw new InvalidEventError([`expected revision must be a whole number ≥ 0, got ${expected.revision}`]);
  }
};

/** Whether the stream's state contradicts what the caller expected. */
const conflicts = (expected: ExpectedState, tail: Tail): boolean =>
  (expected === 'no-stream' && tail.exists) ||
  (expected === 'exists' && !tail.exists) ||
  (typeof expected === 'object' && expected.revision !== tail.revision);

const actualRevisionOf = (error: WrongExpectedVersionError): number =>
  error.actualState === NO_STREAM ? -1 : Number(error.actualState);

/** Our typed errors for KurrentDB's; everything else unchanged. */
const translate = (error: unknown, stream: string): unknown =>
  error instanceof KurrentStreamDeletedError || error instanceof StreamTombstonedError
    ? new StreamDeletedError(stream)
    : error;

function ensureWritten(result: KurrentAppendResult, stream: string): void {
  if (!result.success) {
    throw new Error(
      `KurrentDB refused the append to ${stream} without an error: KurrentDbEventStore needs a client with throwOnAppendFailure (the default)`,
    );
  }
}

/** `$all` position of a commit position (this adapter's positions), START for 0. */
const positionAt = (position: number): ReadPosition =>
  position === 0 ? START : { commit: BigInt(position), prepare: BigInt(position) };

function positionOf(record: Recorded): number {
  const commit = record.position?.commit;
  if (commit === undefined || commit < 0n || commit >= NO_POSITION) {
    throw new Error(
      `KurrentDB returned no position for event ${record.id} of ${record.streamId} (KurrentDB ≥ 22.10 is needed)`,
    );
  }
  return Number(commit);
}

function reservedOf(record: Recorded): Partial<Reserved> {
  const reserved = isRecord(record.metadata) ? record.metadata[RESERVED_KEY] : undefined;
  return isRecord(reserved) ? reserved : {};
}

function lastHashOf(record: Recorded): Buffer | null {
  const { hash } = reservedOf(record);
  return typeof hash === 'string' && hash.length > 0 ? Buffer.from(hash, 'hex') : null;
}

function toStored(record: Recorded): StoredEvent {
  const { [RESERVED_KEY]: _reserved, ...metadata } = isRecord(record.metadata) ? record.metadata : {};
  const { recordedAt, schemaVersion, hash, prevHash } = reservedOf(record);
  const recorded = typeof recordedAt === 'string' ? new Date(recordedAt) : record.created;
  return {
    id: record.id,
    type: record.type,
    schemaVersion: typeof schemaVersion === 'number' ? schemaVersion : 1,
    stream: record.streamId,
    revision: Number(record.revision),
    position: positionOf(record),
    recordedAt: Number.isNaN(recorded.getTime()) ? record.created : recorded,
    // The client parses JSON events; an event some other writer stored as bytes comes back as base64.
    data:
      record.data instanceof Uint8Array
        ? Buffer.from(record.data).toString('base64')
        : ((record.data as Json | undefined) ?? null),
    metadata: metadata as EventMetadata,
    hash: typeof hash === 'string' ? hash : '',
    prevHash: typeof prevHash === 'string' ? prevHash : null,
  };
}

/** Whether an event of `$all` is one the port delivers: a port stream, no system event, and the caller's filter. */
function visible(record: Recorded, filter: EventFilter | undefined): boolean {
  if (!PORT_STREAM.test(record.streamId) || record.type.startsWith('$')) return false;
  const categories = filter?.streamCategories;
  if (categories && categories.length > 0 && !categories.includes(categoryOf(record.streamId))) return false;
  const prefixes = filter?.eventTypePrefixes;
  if (prefixes && prefixes.length > 0 && !prefixes.some((prefix) => record.type.startsWith(prefix))) return false;
  const tenants = filter?.tenantIds;
  if (!tenants || tenants.length === 0) return true;
  // The tenant is in the metadata, which the server cannot filter on: it is checked here.
  const tenantId = isRecord(record.metadata) ? record.metadata.tenantId : undefined;
  return typeof tenantId === 'string' && tenants.includes(tenantId);
}

const escapeRegex = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * The part of the filter the server applies (one expression, on stream names or on event types); `visible` applies
 * all of it again, so the server's filter only has to narrow, never to be exact.
 */
function serverFilter(filter: EventFilter | undefined): Filter {
  const categories = filter?.streamCategories ?? [];
  if (categories.length > 0) return streamNameFilter({ regex: `^(?:${categories.map(escapeRegex).join('|')})-` });
  const prefixes = filter?.eventTypePrefixes ?? [];
  if (prefixes.length > 0) return eventTypeFilter({ regex: `^(?:${prefixes.map(escapeRegex).join('|')})` });
  return streamNameFilter({ regex: PORT_STREAM_REGEX });
}

function caseIdsOf(metadata: EventMetadata): Set<string> {
  const ids = new Set<string>();
  if (typeof metadata.caseId === 'string') ids.add(metadata.caseId);
  if (Array.isArray(metadata.caseIds)) {
    for (const id of metadata.caseIds) if (typeof id === 'string') ids.add(id);
  }
  return ids;
}

function caseIndexEntryOf(data: unknown): CaseIndexEntry | undefined {
  if (!isRecord(data)) return undefined;
  const { stream, revision, position, eventId } = data;
  if (typeof stream !== 'string' || typeof eventId !== 'string') return undefined;
  if (typeof revision !== 'number' || typeof position !== 'number') return undefined;
  return { stream, revision, position, eventId };
}

const sameContent = (stored: StoredEvent, event: Pending): boolean =>
  stored.type === event.type &&
  stored.schemaVersion === event.schemaVersion &&
  canonicalJson(stored.data) === canonicalJson(event.data) &&
  canonicalJson(stored.metadata) === canonicalJson(event.metadata);

async function mapLimit<T, R>(items: readonly T[], limit: number, map: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let index = next++; index < items.length; index = next++) {
      results[index] = await map(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** A stream's events as the server returns them; undefined when it does not exist (or is soft-deleted). */
async function readRecords(
  client: KurrentDBClient,
  stream: string,
  options: { direction: Direction; fromRevision: ReadRevision; maxCount: number },
): Promise<Recorded[] | undefined> {
  const records: Recorded[] = [];
  try {
    for await (const resolved of client.readStream(stream, options)) {
      if (resolved.event) records.push(resolved.event);
    }
  } catch (error) {
    if (error instanceof StreamNotFoundError) return undefined;
    throw translate(error, stream);
  }
  return records;
}

interface Page {
  readonly events: StoredEvent[];
  /** The position of the last event read, delivered or not: where the next page starts. */
  readonly cursor: number;
  /** The read reached the end of `$all`. */
  readonly exhausted: boolean;
}

/** Up to `limit` events after `after` that the port delivers. `readAll` from a position includes it: skipped. */
async function readAllAfter(
  client: KurrentDBClient,
  after: number,
  limit: number,
  filter: EventFilter | undefined,
): Promise<Page> {
  const events: StoredEvent[] = [];
  const onServer = serverFilter(filter);
  let cursor = after;
  for (;;) {
    const start = cursor;
    const maxCount = limit - events.length + (start > 0 ? 1 : 0);
    let received = 0;
    for await (const resolved of client.readAll({
      fromPosition: positionAt(start),
      direction: FORWARDS,
      maxCount,
      filter: onServer,
    })) {
      received++;
      const record = resolved.event;
      if (!record) continue;
      const position = positionOf(record);
      if (position <= cursor) continue;
      cursor = position;
      if (!visible(record, filter)) continue;
      events.push(toStored(record));
      if (events.length >= limit) return { events, cursor, exhausted: false };
    }
    if (received < maxCount || cursor === start) return { events, cursor, exhausted: true };
  }
}

export class KurrentDbEventStore implements EventStore {
  readonly client: KurrentDBClient;
  readonly #maxEventBytes: number;
  readonly #now: () => Date;
  readonly #ownsClient: boolean;
  readonly #subscriptions = new Set<KurrentDbSubscription>();

  constructor(client: KurrentDBClient, options: KurrentDbEventStoreOptions = {}) {
    this.client = client;
    this.#maxEventBytes = options.maxEventBytes ?? DEFAULT_MAX_EVENT_BYTES;
    this.#now = options.now ?? (() => new Date());
    this.#ownsClient = options.ownsClient ?? true;
  }

  /** On the KurrentDB server of a connection string (`kurrentdb://…`); the client connects on first use. */
  static connect(connectionString: string, options: KurrentDbEventStoreOptions = {}): KurrentDbEventStore {
    return new KurrentDbEventStore(KurrentDBClient.connectionString(connectionString), options);
  }

  async append(
    stream: string,
    events: readonly EventToAppend[],
    expected: ExpectedState = 'any',
  ): Promise<AppendResult> {
    validateStreamName(stream);
    checkExpected(expected);
    const recordedAt = this.#now();
    const pending = prepareEvents(events, this.#maxEventBytes).map(({ event, dataJson, metadataJson }): Pending => {
      const data = JSON.parse(dataJson) as Json;
      const metadata = JSON.parse(metadataJson) as EventMetadata;
      const schemaVersion = event.schemaVersion ?? 1;
      const content = contentHash({
        stream,
        id: event.id,
        type: event.type,
        schemaVersion,
        recordedAt,
        data,
        metadata,
      });
      const bytes = Buffer.byteLength(dataJson) + Buffer.byteLength(metadataJson);
      return { id: event.id, type: event.type, schemaVersion, data, metadata, content, bytes };
    });
    const reserved = pending.flatMap((event, index) =>
      Object.hasOwn(event.metadata, RESERVED_KEY) ? [`events[${index}].metadata.${RESERVED_KEY}: reserved`] : [],
    );
    if (reserved.length > 0) throw new InvalidEventError(reserved);

    let tail = await this.#tail(stream);
    const claims = await this.#claim(
      stream,
      pending.map((event) => event.id),
      tail.revision + 1,
    );
    if (claims.foreign.length > 0) throw new IdempotencyConflictError(stream, claims.foreign);
    // Events of this append can be in the stream only if one of their claims existed before (or, after a lost race,
    // because a concurrent append of the same events won it).
    let mayBeStored = claims.preexisting;
    for (let attempt = 1; ; attempt++) {
      if (mayBeStored) {
        const replay = await this.#replay(stream, pending, claims.scanFrom);
        if (replay) return replay;
      }
      if (conflicts(expected, tail)) throw new VersionConflictError(stream, expected, tail.revision);
      const chained = this.#chain(pending, tail, recordedAt);
      let result: KurrentAppendResult;
      try {
        result = await this.client.appendToStream(stream, chained.events, {
          streamState: tail.revision < 0 ? NO_STREAM : BigInt(tail.revision),
        });
      } catch (error) {
        if (!(error instanceof WrongExpectedVersionError)) throw this.#appendError(error, stream, pending);
        mayBeStored = true;
        if ((expected === 'any' || expected === 'exists') && attempt < MAX_APPEND_ATTEMPTS) {
          tail = await this.#tail(stream);
          continue;
        }
        const replay = await this.#replay(stream, pending, claims.scanFrom);
        if (replay) return replay;
        throw new VersionConflictError(stream, expected, actualRevisionOf(error));
      }
      ensureWritten(result, stream);
      const first = tail.revision + 1;
      const stored = await this.#readBack(stream, first, pending.length);
      // KurrentDB answers a repeat of events it holds (same ids at these revisions) with success and writes nothing,
      // whatever their content: then the events read back are another append's (other hashes), and the port's rule
      // decides between a replay and a conflict.
      if (stored.some((event, index) => event.id !== pending[index]?.id || event.hash !== chained.hashes[index])) {
        const replay = await this.#replay(stream, pending, first);
        if (replay) return replay;
      }
      // The append's own position (that of its last event) stands in where the read-back came short (see #readBack).
      const fallback = result.position ? Number(result.position.commit) : stored.at(-1)?.position;
      const written = pending.map((event, index): Indexed => {
        const position = stored.find((each) => each.id === event.id)?.position ?? fallback;
        if (position === undefined) throw new Error(`KurrentDB returned no position for the append to ${stream}`);
        return { stream, revision: first + index, position, id: event.id, metadata: event.metadata };
      });
      await this.#index(written);
      const position = written.at(-1)?.position ?? 0;
      return { nextExpectedRevision: Number(result.nextExpectedRevision), position, replayed: false };
    }
  }

  /** The events as KurrentDB stores them: the port's metadata plus the reserved fields, chained to `tail`. */
  #chain(pending: readonly Pending[], tail: Tail, recordedAt: Date): { events: EventData[]; hashes: string[] } {
    let prev = tail.lastHash;
    const hashes: string[] = [];
    const events = pending.map((event, index) => {
      const hash = chainHash(prev, event.content, tail.revision + 1 + index);
      const reserved: Reserved = {
        recordedAt: recordedAt.toISOString(),
        schemaVersion: event.schemaVersion,
        hash: hash.toString('hex'),
        prevHash: prev ? prev.toString('hex') : null,
      };
      prev = hash;
      hashes.push(reserved.hash);
      return jsonEvent({
        id: event.id,
        type: event.type,
        // Any JSON value: the client sends JSON.stringify(data) and parses it back on read.
        data: event.data as JSONType,
        metadata: { ...event.metadata, [RESERVED_KEY]: reserved },
      });
    });
    return { events, hashes };
  }

  #appendError(error: unknown, stream: string, pending: readonly Pending[]): unknown {
    if (error instanceof MaxAppendSizeExceededError) {
      const bytes = pending.reduce((sum, event) => sum + event.bytes, 0);
      return new PayloadTooLargeError(pending.at(-1)?.id ?? '', bytes, error.maxAppendSize);
    }
    return translate(error, stream);
  }

  /**
   * The stream's last revision and hash. When no event is visible, an empty append at an impossible revision tells
   * the revision (it fails, naming the actual one, and writes nothing), and the metadata whether it is soft-deleted.
   */
  async #tail(stream: string): Promise<Tail> {
    const readLast = async () =>
      (await readRecords(this.client, stream, { direction: BACKWARDS, fromRevision: END, maxCount: 1 }))?.[0];
    const active = (record: Recorded): Tail => ({
      revision: Number(record.revision),
      exists: true,
      deleted: false,
      lastHash: lastHashOf(record),
    });
    const last = await readLast();
    if (last) return active(last);
    const [revision, metadata] = await Promise.all([this.#probe(stream), this.#metadata(stream)]);
    const truncateBefore = metadata?.truncateBefore;
    const deleted = revision >= 0 && typeof truncateBefore === 'number' && truncateBefore >= SOFT_DELETED_FROM;
    if (revision >= 0 && !deleted) {
      // Written since the first read? Then chain to it rather than treat it as hidden.
      const now = await readLast();
      if (now) return { ...active(now), metadata };
    }
    return { revision, exists: revision >= 0 && !deleted, deleted, lastHash: null, metadata };
  }

  async #probe(stream: string): Promise<number> {
    try {
      ensureWritten(await this.client.appendToStream(stream, [], { streamState: PROBE_REVISION }), stream);
    } catch (error) {
      if (error instanceof WrongExpectedVersionError) return actualRevisionOf(error);
      throw translate(error, stream);
    }
    throw new Error(`KurrentDB accepted an empty append to ${stream} at revision ${PROBE_REVISION}`);
  }

  async #metadata(stream: string): Promise<KurrentStreamMetadata | undefined> {
    try {
      return (await this.client.getStreamMetadata(stream)).metadata;
    } catch (error) {
      throw translate(error, stream);
    }
  }

  /**
   * Claims each id for `stream` (see the header). `minRevision`: the revision the events cannot lie before, recorded
   * in the claim; `scanFrom` is the lowest of those of this append's claims.
   */
  async #claim(
    stream: string,
    ids: readonly string[],
    minRevision: number,
  ): Promise<{ foreign: string[]; preexisting: boolean; scanFrom: number }> {
    const claims = await mapLimit(ids, PARALLEL, async (id) => {
      const target = claimStream(id);
      try {
        const claim = jsonEvent({ type: CLAIM_TYPE, data: { stream, minRevision } });
        ensureWritten(await this.client.appendToStream(target, claim, { streamState: NO_STREAM }), target);
        return { id, stream, minRevision, fresh: true };
      } catch (error) {
        if (!(error instanceof WrongExpectedVersionError)) throw translate(error, target);
      }
      const first = (
        await readRecords(this.client, target, { direction: FORWARDS, fromRevision: START, maxCount: 1 })
      )?.[0];
      const data = first && isRecord(first.data) ? first.data : {};
      return {
        id,
        stream: typeof data.stream === 'string' ? data.stream : undefined,
        minRevision: wholeOrUndefined(data.minRevision) ?? 0,
        fresh: false,
      };
    });
    return {
      foreign: claims.filter((claim) => claim.stream !== stream).map((claim) => claim.id),
      preexisting: claims.some((claim) => !claim.fresh),
      scanFrom: Math.min(...claims.map((claim) => claim.minRevision)),
    };
  }

  /**
   * The port's idempotency rule for events that may be in the stream already: all of them, consecutive, with the
   * same content → the first append's result again; some of them or other content → IdempotencyConflictError.
   */
  async #replay(stream: string, pending: readonly Pending[], scanFrom: number): Promise<AppendResult | undefined> {
    const ids = new Set(pending.map((event) => event.id));
    const found = new Map<string, StoredEvent>();
    for (let from = scanFrom; ; ) {
      const page =
        (await readRecords(this.client, stream, {
          direction: FORWARDS,
          fromRevision: BigInt(from),
          maxCount: SCAN_PAGE,
        })) ?? [];
      for (const record of page) if (ids.has(record.id)) found.set(record.id, toStored(record));
      const last = page.at(-1);
      if (!last || page.length < SCAN_PAGE || found.size === ids.size) break;
      from = Number(last.revision) + 1;
    }
    if (found.size === 0) return undefined;
    const head = pending[0];
    const first = head ? found.get(head.id) : undefined;
    const stored: StoredEvent[] = [];
    for (const [index, event] of pending.entries()) {
      const match = found.get(event.id);
      if (!first || !match || match.revision !== first.revision + index || !sameContent(match, event)) {
        throw new IdempotencyConflictError(
          stream,
          pending.filter((each) => found.has(each.id)).map((each) => each.id),
        );
      }
      stored.push(match);
    }
    const last = stored.at(-1);
    if (!last) return undefined;
    // Writes what a first append that failed after its events left out (idempotent: deterministic ids).
    await this.#index(stored);
    return { nextExpectedRevision: last.revision, position: last.position, replayed: true };
  }

  /**
   * The events just appended, with their positions. Retried briefly: appending to a soft-deleted stream makes the
   * server undelete it with a metadata write of its own, which a read right after the append may not see yet.
   */
  async #readBack(stream: string, fromRevision: number, count: number): Promise<StoredEvent[]> {
    for (let attempt = 1; ; attempt++) {
      const records = await readRecords(this.client, stream, {
        direction: FORWARDS,
        fromRevision: BigInt(fromRevision),
        maxCount: count,
      });
      const stored = (records ?? []).map(toStored);
      if (stored.length >= count || attempt >= READ_BACK_ATTEMPTS) return stored;
      await new Promise((resolve) => setTimeout(resolve, 20 * attempt));
    }
  }

  /**
   * Index entries for the events that name a case. A second write after the events (see the header): an entry's id
   * is derived from its case stream and event, so writing it again is absorbed by KurrentDB or dropped by readCase.
   */
  async #index(events: readonly Indexed[]): Promise<void> {
    const entries = new Map<string, EventData[]>();
    for (const event of events) {
      for (const caseId of caseIdsOf(event.metadata)) {
        const target = caseIndexStream(event.metadata.tenantId, caseId);
        const entry: CaseIndexEntry = {
          stream: event.stream,
          revision: event.revision,
          position: event.position,
          eventId: event.id,
        };
        const indexed = jsonEvent({
          id: deterministicId('kurrentdb-case-index', target, event.id),
          type: CASE_INDEX_TYPE,
          data: { ...entry },
        });
        entries.set(target, [...(entries.get(target) ?? []), indexed]);
      }
    }
    await mapLimit([...entries], PARALLEL, async ([target, indexed]) => {
      try {
        ensureWritten(await this.client.appendToStream(target, indexed, { streamState: ANY }), target);
      } catch (error) {
        // With ANY only a partly recognised repeat of earlier entries fails so: they are stored already.
        if (!(error instanceof WrongExpectedVersionError)) throw translate(error, target);
      }
    });
  }

  async readStream(stream: string, options: ReadStreamOptions = {}): Promise<StoredEvent[]> {
    validateStreamName(stream);
    const backwards = options.direction === 'backwards';
    const limit = limitOf(options.limit);
    const fromRevision =
      options.fromRevision === undefined
        ? backwards
          ? END
          : START
        : BigInt(checkWhole('fromRevision', options.fromRevision));
    // A missing or soft-deleted stream reads as not found (→ []), a tombstoned one as deleted (→ StreamDeletedError).
    const records = await readRecords(this.client, stream, {
      direction: backwards ? BACKWARDS : FORWARDS,
      fromRevision,
      maxCount: limit,
    });
    return (records ?? []).filter((record) => !record.type.startsWith('$')).map(toStored);
  }

  async readAll(options: ReadAllOptions = {}): Promise<StoredEvent[]> {
    const after = checkWhole('afterPosition', options.afterPosition ?? 0);
    return (await readAllAfter(this.client, after, limitOf(options.limit), options.filter)).events;
  }

  async readCase(tenantId: string, caseId: string, options: ReadCaseOptions = {}): Promise<StoredEvent[]> {
    const after = checkWhole('afterPosition', options.afterPosition ?? 0);
    const limit = limitOf(options.limit);
    const records =
      (await readRecords(this.client, caseIndexStream(tenantId, caseId), {
        direction: FORWARDS,
        fromRevision: START,
        maxCount: Number.MAX_SAFE_INTEGER,
      })) ?? [];
    const entries = new Map<string, CaseIndexEntry>();
    for (const record of records) {
      const entry = caseIndexEntryOf(record.data);
      if (entry && entry.position > after) entries.set(entry.eventId, entry);
    }
    // Index entries of concurrent appends may be written out of position order.
    const ordered = [...entries.values()].sort((a, b) => a.position - b.position);
    const events: StoredEvent[] = [];
    for (let start = 0; start < ordered.length && events.length < limit; ) {
      const batch = ordered.slice(start, start + Math.min(PARALLEL, limit - events.length));
      start += batch.length;
      const fetched = await Promise.all(batch.map((entry) => this.#fetchIndexed(entry)));
      for (const event of fetched) if (event && event.position > after && events.length < limit) events.push(event);
    }
    return events;
  }

  /** The event an index entry names, unless its stream is deleted or hides it (truncateBefore, maxAge). */
  async #fetchIndexed(entry: CaseIndexEntry): Promise<StoredEvent | undefined> {
    try {
      const [record] =
        (await readRecords(this.client, entry.stream, {
          direction: FORWARDS,
          fromRevision: BigInt(entry.revision),
          maxCount: 1,
        })) ?? [];
      return record && record.id === entry.eventId && Number(record.revision) === entry.revision
        ? toStored(record)
        : undefined;
    } catch (error) {
      if (error instanceof StreamDeletedError) return undefined;
      throw error;
    }
  }

  subscribe(options: SubscribeOptions, handler: EventHandler): Subscription {
    const from = options.from ?? 'start';
    if (typeof from === 'number') checkWhole('from', from);
    if (options.batchSize !== undefined && (!Number.isInteger(options.batchSize) || options.batchSize < 1)) {
      throw new InvalidEventError(['batchSize must be a whole number ≥ 1']);
    }
    const start = async (): Promise<number> => (from === 'start' ? 0 : from === 'end' ? this.headPosition() : from);
    const subscription = new KurrentDbSubscription(this.client, start, options, handler);
    this.#subscriptions.add(subscription);
    subscription.done.then(
      () => this.#subscriptions.delete(subscription),
      () => this.#subscriptions.delete(subscription),
    );
    return subscription;
  }

  /** The position of the last event the port delivers (`$all` backwards, skipping system and internal events). */
  async headPosition(): Promise<number> {
    let from: ReadPosition = END;
    let cursor = Number.POSITIVE_INFINITY;
    for (;;) {
      const start = cursor;
      let received = 0;
      for await (const resolved of this.client.readAll({
        fromPosition: from,
        direction: BACKWARDS,
        maxCount: HEAD_PAGE,
        filter: serverFilter(undefined),
      })) {
        received++;
        const record = resolved.event;
        if (!record) continue;
        const position = positionOf(record);
        if (position >= cursor) continue;
        cursor = position;
        if (visible(record, undefined)) return position;
      }
      if (received < HEAD_PAGE || cursor === start) return 0;
      from = positionAt(cursor);
    }
  }

  async getStream(stream: string): Promise<StreamInfo | undefined> {
    let tail: Tail;
    try {
      tail = await this.#tail(stream);
    } catch (error) {
      if (error instanceof StreamDeletedError) return { stream, revision: -1, state: 'tombstoned', metadata: {} };
      throw error;
    }
    const metadata = tail.metadata ?? (await this.#metadata(stream));
    if (tail.revision < 0 && metadata === undefined) return undefined;
    return {
      stream,
      revision: tail.revision,
      state: tail.deleted ? 'deleted' : 'active',
      metadata: {
        maxAgeSeconds: wholeOrUndefined(metadata?.maxAge),
        truncateBefore: tail.deleted ? tail.revision + 1 : wholeOrUndefined(metadata?.truncateBefore),
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
    // Keep what else the stream's metadata holds (ACL, maxCount, custom keys); replace the port's two settings.
    // A soft-delete marker in truncateBefore is replaced too: the server then undeletes the stream, hiding its old
    // events by truncateBefore.
    const next: KurrentStreamMetadata = {};
    for (const [key, value] of Object.entries((await this.#metadata(stream)) ?? {})) {
      if (key !== 'maxAge' && key !== 'truncateBefore') next[key] = value;
    }
    if (metadata.maxAgeSeconds !== undefined) next.maxAge = metadata.maxAgeSeconds;
    if (metadata.truncateBefore !== undefined) next.truncateBefore = metadata.truncateBefore;
    try {
      await this.client.setStreamMetadata(stream, next);
    } catch (error) {
      throw translate(error, stream);
    }
  }

  async deleteStream(stream: string, options: { expected?: ExpectedState; hard?: boolean } = {}): Promise<void> {
    validateStreamName(stream);
    const expected = options.expected ?? 'any';
    checkExpected(expected);
    const tail = await this.#tail(stream); // StreamDeletedError when tombstoned already
    if (conflicts(expected, tail)) throw new VersionConflictError(stream, expected, tail.revision);
    // The server checks again: the revision read here, so no writer slips in between.
    const expectedRevision: StreamState =
      expected === 'any' ? ANY : tail.revision < 0 ? NO_STREAM : BigInt(tail.revision);
    try {
      if (options.hard) await this.client.tombstoneStream(stream, { expectedRevision });
      else if (tail.revision >= 0 && !tail.deleted) await this.client.deleteStream(stream, { expectedRevision });
    } catch (error) {
      if (error instanceof WrongExpectedVersionError) {
        throw new VersionConflictError(stream, expected, actualRevisionOf(error));
      }
      throw translate(error, stream);
    }
  }

  async close(): Promise<void> {
    await Promise.all([...this.#subscriptions].map((subscription) => subscription.stop()));
    if (this.#ownsClient) await this.client.dispose();
  }
}

/**
 * Catch-up, then live. Catch-up reads `$all` in pages (server-side filtered) until a page reaches the end, handing
 * each event to the handler; then `caughtUp` resolves: every event that existed when the last page was read has been
 * handled. Live is a `subscribeToAll` from the last position read, so nothing appended in between is missed, and
 * events at or before it are skipped, so nothing is delivered twice. (The client's own `caughtUp` event is not used:
 * the stream emits it when the server says so, while events before it may still wait, unhandled, in its buffer.)
 */
class KurrentDbSubscription implements Subscription {
  readonly caughtUp: Promise<void>;
  readonly done: Promise<void>;
  #position = 0;
  #stopped = false;
  #live: AllStreamSubscription | undefined;
  #markCaughtUp: () => void = () => undefined;

  constructor(client: KurrentDBClient, start: () => Promise<number>, options: SubscribeOptions, handler: EventHandler) {
    this.caughtUp = new Promise<void>((resolve) => {
      this.#markCaughtUp = resolve;
    });
    this.done = this.#run(client, start, options, handler);
    // A failure surfaces through `done`; `caughtUp` must not hang or reject unobserved.
    this.done.catch(() => this.#markCaughtUp());
  }

  get position(): number {
    return this.#position;
  }

  async #run(
    client: KurrentDBClient,
    start: () => Promise<number>,
    options: SubscribeOptions,
    handler: EventHandler,
  ): Promise<void> {
    const batchSize = options.batchSize ?? 500;
    const filter = options.filter;
    let cursor = await start();
    this.#position = cursor;
    for (;;) {
      if (this.#stopped) return;
      const page = await readAllAfter(client, cursor, batchSize, filter);
      for (const event of page.events) {
        if (this.#stopped) return;
        await handler(event);
        this.#position = event.position;
      }
      cursor = page.cursor;
      if (page.exhausted) break;
    }
    this.#markCaughtUp();
    if (this.#stopped) return;

    const live = client.subscribeToAll({ fromPosition: positionAt(cursor), filter: serverFilter(filter) });
    // Errors reach the loop below through the iterator; this keeps one emitted after it ended from going unhandled.
    live.on('error', () => undefined);
    this.#live = live;
    let handling = false;
    try {
      for await (const resolved of live) {
        if (this.#stopped) return;
        const record = resolved.event;
        if (!record) continue;
        const position = positionOf(record);
        if (position <= cursor) continue;
        cursor = position;
        if (!visible(record, filter)) continue;
        handling = true;
        await handler(toStored(record));
        handling = false;
        this.#position = position;
      }
    } catch (error) {
      // stop() ends the stream under the iterator; a handler's failure ends the subscription even then.
      if (this.#stopped && !handling) return;
      throw error;
    } finally {
      this.#live = undefined;
      await live.unsubscribe().catch(() => undefined);
    }
    if (!this.#stopped) throw new Error('KurrentDB ended the subscription');
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    const live = this.#live;
    if (live) {
      await live.unsubscribe().catch(() => undefined);
      live.destroy();
    }
    await this.done.catch(() => undefined);
  }
}

/**
 * Checkpoints in KurrentDB: each subscriber's position is the last event of its stream `_bkCheckpoint-<id>`, which
 * keeps only that one (maxCount 1, set with the first checkpoint this process stores).
 */
export class KurrentDbCheckpointStore implements CheckpointStore {
  readonly #client: KurrentDBClient;
  readonly #capped = new Set<string>();

  constructor(client: KurrentDBClient) {
    this.#client = client;
  }

  async load(subscriberId: string): Promise<number | undefined> {
    const stream = checkpointStream(subscriberId);
    const last = (
      await readRecords(this.#client, stream, { direction: BACKWARDS, fromRevision: END, maxCount: 1 })
    )?.[0];
    return last && isRecord(last.data) ? wholeOrUndefined(last.data.position) : undefined;
  }

  async store(subscriberId: string, position: number): Promise<void> {
    const stream = checkpointStream(subscriberId);
    const checkpoint = jsonEvent({ type: CHECKPOINT_TYPE, data: { position } });
    ensureWritten(await this.#client.appendToStream(stream, checkpoint, { streamState: ANY }), stream);
    if (!this.#capped.has(stream)) {
      await this.#client.setStreamMetadata(stream, { maxCount: 1 });
      this.#capped.add(stream);
    }
  }
}
