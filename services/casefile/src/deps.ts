import type { CheckpointStore, EventStore, Sql } from '@buergerkoffer/shared/event-sourcing';
import type { KeyStore } from '@buergerkoffer/shared/privacy';

/** Tuning of the live feeds (Server-Sent Events); the defaults suit staff UIs on a municipal network. */
export interface FeedOptions {
  /** A comment line every so often keeps proxies from closing an idle stream (ms). */
  readonly heartbeatMs?: number;
  /** A client whose unsent bytes exceed this is disconnected with a retry hint instead of being buffered further. */
  readonly maxBufferedBytes?: number;
  /** The reconnection delay suggested to clients (SSE `retry:`, ms). */
  readonly retryMs?: number;
  /** How many recent events the hub keeps in memory for clients resuming shortly behind the head. */
  readonly recentEvents?: number;
  /** Open feeds per caller (token subject): a runaway UI cannot take the server's connections. */
  readonly maxFeedsPerSubject?: number;
  /** How long a client whose unsent bytes passed the limit may take to drain before it is told to resume (ms). */
  readonly drainTimeoutMs?: number;
}

export interface CasefileDeps {
  /** The shared event store as stored (personal fields sealed): casefile reads every service's events. */
  readonly store: EventStore;
  /** The data subjects' keys, to open personal fields for the roles that may see them. */
  readonly keyStore: KeyStore;
  readonly sql: Sql;
  /** Where the erasure follower keeps its place (service.ts). */
  readonly checkpoints: CheckpointStore;
  readonly now: () => Date;
  readonly feeds?: FeedOptions;
}
