/**
 * Load → decide → append with the expected revision. Optimistic concurrency is the caller's business over HTTP
 * (If-Match → `expectedRevision`, a mismatch is a VersionConflictError → 412); internal callers (consumers) may
 * ask for bounded retries, each on a fresh load.
 */
import { inSpan, traceparentOf } from '../observability/tracing.ts';
import { type Decider, type DomainEvent, fold } from './decider.ts';
import { deterministicId } from './deterministic-id.ts';
import { IdempotencyConflictError, VersionConflictError } from './errors.ts';
import { uuidv7 } from './ids.ts';
import type { Actor, EventMetadata, EventStore, EventToAppend, ExpectedState, Json, StoredEvent } from './types.ts';

/** Who asks and why: stamped into every event's metadata. */
export interface CommandContext {
  readonly tenantId: string;
  readonly actor: Actor;
  readonly caseId?: string;
  readonly caseIds?: readonly string[];
  readonly correlationId?: string;
  /** The id of the message or event that caused this command (consumers). */
  readonly causationId?: string;
  readonly traceparent?: string;
  /** Makes the command's event ids deterministic: the same key yields the same ids, so a retry is a no-op. */
  readonly idempotencyKey?: string;
  /** The revision the caller saw (If-Match); omitted = the current one. */
  readonly expectedRevision?: number;
}

export interface HandleOptions<Command, Event extends DomainEvent, State> {
  readonly store: EventStore;
  readonly decider: Decider<Command, Event, State>;
  /** Stored → domain event (validate and upcast here); unknown types may be skipped by returning undefined. */
  readonly decode: (event: StoredEvent) => Event | undefined;
  readonly stream: string;
  /** Retries on a concurrent write, for internal callers only (never with `expectedRevision`). Default 0. */
  readonly retries?: number;
  /**
   * The stream is known to be new (its id was just drawn, or the caller saw none of its events): decide on the
   * initial state and append expecting no stream, without reading it first. Should it exist after all, the
   * conflict falls back to the usual load and decide (which answers a keyed repeat as replayed).
   */
  readonly expectNew?: boolean;
  /**
   * The stream as the caller just loaded it (`loadStream`), to decide on without reading it again: one read per
   * command. A retry after a concurrent write loads it afresh.
   */
  readonly loaded?: LoadedStream<State>;
}

/** A stream folded: its state, revision (-1: none), the ids of its events, and its first event's tenant. */
export interface LoadedStream<State> {
  readonly state: State;
  readonly revision: number;
  readonly ids: ReadonlySet<string>;
  /** The tenant of the stream's first visible event (undefined: no visible event). */
  readonly tenantId: string | undefined;
}

export interface HandleResult<Event, State> {
  readonly state: State;
  /** The events this command appended (empty when it changed nothing). */
  readonly events: readonly Event[];
  /** The stream's revision after the command (-1: still no stream). */
  readonly revision: number;
  readonly position: number | undefined;
  /** True when these events had been appended before (same idempotency key): nothing new was written. */
  readonly replayed: boolean;
}

export async function loadStream<Event extends DomainEvent, State>(
  store: EventStore,
  decider: Pick<Decider<unknown, Event, State>, 'initialState' | 'evolve'>,
  decode: (event: StoredEvent) => Event | undefined,
  stream: string,
  { hiddenRevision = true }: { hiddenRevision?: boolean } = {},
): Promise<LoadedStream<State>> {
  const events: Event[] = [];
  const ids = new Set<string>();
  let revision = -1;
  let tenantId: string | undefined;
  const readFrom = async () => {
    for (;;) {
      const page = await store.readStream(stream, { fromRevision: revision + 1, limit: 1_000 });
      for (const stored of page) {
        tenantId ??= stored.metadata.tenantId;
        const decoded = decode(stored);
        if (decoded) events.push(decoded);
        ids.add(stored.id);
        revision = stored.revision;
      }
      if (page.length < 1_000) return;
    }
  };
  await readFrom();
  if (revision < 0 && hiddenRevision) {
    // No visible events: the stream may still exist with every event hidden by retention or a soft delete. Its
    // revision is asked for after the read, so a writer may have appended in between: read again, and take the
    // stream's revision only when still nothing is visible — never a revision newer than the events folded (an
    // append at it would succeed on a state that misses them).
    const hidden = (await store.getStream(stream))?.revision ?? -1;
    if (hidden >= 0) {
      await readFrom();
      if (revision < 0) revision = hidden;
    }
  }
  return { state: fold(decider, events), revision, ids, tenantId };
}

/** The stream's state only (a reader that decides nothing): no second look at an empty stream for its revision. */
export async function loadState<Event extends DomainEvent, State>(
  store: EventStore,
  decider: Pick<Decider<unknown, Event, State>, 'initialState' | 'evolve'>,
  decode: (event: StoredEvent) => Event | undefined,
  stream: string,
): Promise<State> {
  return (await loadStream(store, decider, decode, stream, { hiddenRevision: false })).state;
}

export function stampMetadata(context: CommandContext): EventMetadata {
  const metadata: Record<string, unknown> = { tenantId: context.tenantId, actor: context.actor };
  for (const key of ['caseId', 'caseIds', 'correlationId', 'causationId', 'traceparent', 'idempotencyKey'] as const) {
    if (context[key] !== undefined) metadata[key] = context[key];
  }
  return metadata as EventMetadata;
}

export async function handleCommand<Command, Event extends DomainEvent, State>(
  options: HandleOptions<Command, Event, State>,
  command: Command,
  given: CommandContext,
): Promise<HandleResult<Event, State>> {
  const type = typeof command === 'object' && command && 'type' in command ? String(command.type) : 'command';
  return inSpan(`command ${type}`, { attributes: { 'eventstore.stream': options.stream } }, () =>
    // The stored events carry the trace they were caused in, for the relay to continue it.
    decideAndAppend(options, command, { ...given, traceparent: given.traceparent ?? traceparentOf() }),
  );
}

async function decideAndAppend<Command, Event extends DomainEvent, State>(
  options: HandleOptions<Command, Event, State>,
  command: Command,
  context: CommandContext,
): Promise<HandleResult<Event, State>> {
  const retries = context.expectedRevision === undefined ? (options.retries ?? 0) : 0;
  let guessNew = options.expectNew === true && context.expectedRevision === undefined;
  let loaded = options.loaded;
  for (let attempt = 0; ; attempt++) {
    const { state, revision, ids } = guessNew
      ? { state: options.decider.initialState(), revision: -1, ids: new Set<string>() }
      : (loaded ?? (await loadStream(options.store, options.decider, options.decode, options.stream)));
    loaded = undefined; // a retry reads the stream again
    const keyedId = (index: number) =>
      deterministicId(options.stream, context.tenantId, context.idempotencyKey ?? '', String(index));
    if (context.idempotencyKey !== undefined && ids.has(keyedId(0))) {
      // This command ran before (same idempotency key): answer as then, before If-Match and without deciding again.
      return { state, events: [], revision, position: undefined, replayed: true };
    }
    if (context.expectedRevision !== undefined && context.expectedRevision !== revision) {
      throw new VersionConflictError(options.stream, { revision: context.expectedRevision }, revision);
    }
    const events = options.decider.decide(command, state);
    if (events.length === 0) return { state, events, revision, position: undefined, replayed: false };
    const metadata = stampMetadata(context);
    const toAppend: EventToAppend[] = events.map((event, index) => ({
      id: context.idempotencyKey === undefined ? uuidv7() : keyedId(index),
      type: event.type,
      data: event.data as Json,
      metadata,
    }));
    const expected: ExpectedState = revision < 0 ? 'no-stream' : { revision };
    try {
      const result = await options.store.append(options.stream, toAppend, expected);
      if (guessNew && result.replayed) {
        // Appended before (a keyed redelivery): answer from the stream as it is, as the usual path does.
        guessNew = false;
        attempt--;
        continue;
      }
      const after = events.reduce(options.decider.evolve, state);
      return {
        state: after,
        events,
        revision: result.nextExpectedRevision,
        position: result.position,
        replayed: result.replayed,
      };
    } catch (error) {
      // Not new after all: load it and decide again (not counted as a retry). A keyed repeat whose events differ in
      // what varies per attempt (a trace id, a re-checked value) is refused by the store as an idempotency
      // conflict, not a version conflict: the load finds its events by their ids and answers it as replayed.
      if ((error instanceof VersionConflictError || error instanceof IdempotencyConflictError) && guessNew) {
        guessNew = false;
        attempt--;
        continue;
      }
      if (error instanceof VersionConflictError && attempt < retries) continue;
      throw error;
    }
  }
}
