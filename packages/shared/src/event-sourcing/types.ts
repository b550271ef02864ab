/**
 * The EventStore port: what every service needs of an event store, whichever adapter serves it (PostgreSQL on the
 * server or embedded via PGlite, KurrentDB). Revisions count from 0 within a stream; positions order all events of a
 * store globally, in commit order (a later position never becomes visible before an earlier one).
 */

export interface Actor {
  readonly id: string;
  readonly role: string;
}

/** Metadata every stored event carries (architecture.md, "Events"). */
export interface EventMetadata {
  readonly tenantId: string;
  readonly caseId?: string | undefined;
  readonly caseIds?: readonly string[] | undefined;
  readonly actor?: Actor | undefined;
  readonly correlationId?: string | undefined;
  readonly causationId?: string | undefined;
  readonly traceparent?: string | undefined;
  readonly idempotencyKey?: string | undefined;
  readonly [key: string]: unknown;
}

/** JSON values as stored: what `data` may hold. */
export type Json = string | number | boolean | null | readonly Json[] | { readonly [key: string]: Json | undefined };

export interface EventToAppend {
  /** UUID (v7 recommended: time-ordered). The idempotency key of the event: re-appending the same id is a no-op. */
  readonly id: string;
  readonly type: string;
  readonly schemaVersion?: number;
  readonly data: Json;
  readonly metadata: EventMetadata;
}

export interface StoredEvent<Data = Json> {
  readonly id: string;
  readonly type: string;
  readonly schemaVersion: number;
  readonly stream: string;
  readonly revision: number;
  readonly position: number;
  readonly recordedAt: Date;
  readonly data: Data;
  readonly metadata: EventMetadata;
  /** Hex SHA-256 chaining this event to the previous one of its stream (see hashing.ts). */
  readonly hash: string;
  readonly prevHash: string | null;
}

/** What the writer expects of the stream: anything, that it does not exist yet, that it exists, or its exact revision. */
export type ExpectedState = 'any' | 'no-stream' | 'exists' | { readonly revision: number };

export const ANY: ExpectedState = 'any';
export const NO_STREAM: ExpectedState = 'no-stream';
export const STREAM_EXISTS: ExpectedState = 'exists';
export const atRevision = (revision: number): ExpectedState => ({ revision });

export interface AppendResult {
  /** The stream's revision after the append: pass it as the next expected revision. */
  readonly nextExpectedRevision: number;
  /** Global position of the last event appended. */
  readonly position: number;
  /** True when every event was already stored (an idempotent re-append that changed nothing). */
  readonly replayed: boolean;
}

export interface ReadStreamOptions {
  readonly direction?: 'forwards' | 'backwards';
  /** Inclusive; forwards defaults to 0, backwards to the last revision. */
  readonly fromRevision?: number;
  readonly limit?: number;
}

export interface EventFilter {
  /** Stream categories (the part of the stream name before the first dash), e.g. `intakeCase`. */
  readonly streamCategories?: readonly string[];
  /** Event type prefixes, e.g. `Case` or `intake.`. */
  readonly eventTypePrefixes?: readonly string[];
  /** Tenants (metadata.tenantId): a tenant's feed reads its own events, not every municipality's. */
  readonly tenantIds?: readonly string[];
}

export interface ReadAllOptions {
  /** Exclusive: events after this position. Defaults to the beginning. */
  readonly afterPosition?: number;
  readonly limit?: number;
  readonly filter?: EventFilter;
}

export interface ReadCaseOptions {
  readonly afterPosition?: number;
  readonly limit?: number;
}

export interface StreamMetadata {
  /** Events older than this many seconds are no longer read from the stream. */
  readonly maxAgeSeconds?: number | undefined;
  /** Events before this revision are no longer read from the stream. */
  readonly truncateBefore?: number | undefined;
}

export interface StreamInfo {
  readonly stream: string;
  /** -1 when the stream has no events. */
  readonly revision: number;
  readonly state: 'active' | 'deleted' | 'tombstoned';
  readonly metadata: StreamMetadata;
}

export interface SubscribeOptions {
  /** Exclusive: deliver events after this position. Defaults to the beginning ('start'); 'end' = only new events. */
  readonly from?: number | 'start' | 'end';
  readonly filter?: EventFilter;
  /** How many events are fetched per read while catching up. */
  readonly batchSize?: number;
}

export type EventHandler = (event: StoredEvent) => Promise<void> | void;

export interface Subscription {
  /** Position of the last event handled (or the start position). */
  readonly position: number;
  /** Resolves once the subscription has delivered every event that existed when it caught up (then it goes live),
   *  or when it ends before that (stopped or failed: see `done`). */
  readonly caughtUp: Promise<void>;
  /** Settles when the subscription ends: resolves after stop(), rejects when the handler or the store failed. */
  readonly done: Promise<void>;
  /** Stops delivery; an event being handled finishes first. */
  stop(): Promise<void>;
}

export interface EventStore {
  append(stream: string, events: readonly EventToAppend[], expected?: ExpectedState): Promise<AppendResult>;
  readStream(stream: string, options?: ReadStreamOptions): Promise<StoredEvent[]>;
  readAll(options?: ReadAllOptions): Promise<StoredEvent[]>;
  /** Every event whose metadata names the case (caseId or caseIds), in global order; cost ∝ that case's events. */
  readCase(tenantId: string, caseId: string, options?: ReadCaseOptions): Promise<StoredEvent[]>;
  /** Catch-up subscription on all events (filtered): delivers history, then live events, in global order. */
  subscribe(options: SubscribeOptions, handler: EventHandler): Subscription;
  /** The highest global position in the store (0 when empty). */
  headPosition(): Promise<number>;
  getStream(stream: string): Promise<StreamInfo | undefined>;
  setStreamMetadata(stream: string, metadata: StreamMetadata): Promise<void>;
  /**
   * Soft delete (default): the stream reads as empty and may be written again, its revisions continuing.
   * Hard delete: the stream's events are removed and its name can never be used again.
   */
  deleteStream(stream: string, options?: { expected?: ExpectedState; hard?: boolean }): Promise<void>;
  close(): Promise<void>;
}

/** Where a subscriber keeps the position it has processed up to. */
export interface CheckpointStore {
  load(subscriberId: string): Promise<number | undefined>;
  store(subscriberId: string, position: number): Promise<void>;
}
