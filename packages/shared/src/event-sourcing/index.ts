// The KurrentDB adapter is its own subpath export (`@buergerkoffer/shared/event-sourcing/kurrentdb`), so only a
// process configured for KurrentDB loads its client and native bridge.
export { PollingSubscription } from './catch-up-subscription.ts';
export {
  type EventCodec,
  type EventDecoder,
  EventDecodingError,
  type EventUnion,
  eventCodec,
  keyField,
  type PartlyOpenedView,
  type PersonalPaths,
  type SealedView,
  type UnopenedMarker,
  type Upcasters,
  upcastFrom,
  type WithPersonal,
} from './codec.ts';
export {
  type CommandContext,
  type HandleOptions,
  type HandleResult,
  handleCommand,
  type LoadedStream,
  loadState,
  loadStream,
  stampMetadata,
} from './command-handler.ts';
export { type Decider, DomainError, type DomainErrorKind, type DomainEvent, fold } from './decider.ts';
export { deterministicId } from './deterministic-id.ts';
export * from './errors.ts';
export { ForwardingEventStore } from './forwarding-store.ts';
export { canonicalJson, chainHash, contentHash, type VerifyResult, verifyStream } from './hashing.ts';
export { uuidv7 } from './ids.ts';
export { COMMIT_ORDER_LOCK, ensureSchema, migrate, migrations } from './postgres/migrations.ts';
export {
  PostgresCheckpointStore,
  PostgresEventStore,
  type PostgresEventStoreOptions,
} from './postgres/postgres-event-store.ts';
export { pgliteSql, pgSql, type Sql } from './postgres/sql.ts';
export {
  Processor,
  type ProcessorHandler,
  type ProcessorLogger,
  type ProcessorOptions,
  ProcessorRegistry,
  type ProcessorStatus,
  retryPause,
  startProcessor,
  type Watched,
} from './processor.ts';
export {
  applyPage,
  type BoundProjection,
  type PageOutcome,
  type Projection,
  type ProjectionTable,
  type RebuildOptions,
  type RebuildProgress,
  type RebuildResult,
  rebuildProjections,
  type StartProjectionOptions,
  startProjection,
  startProjections,
} from './projection.ts';
export { type Transitions, type TransitionsOptions, transitions } from './transitions.ts';
export * from './types.ts';
export { categoryOf, prepareEvents, validateStreamName } from './validation.ts';
