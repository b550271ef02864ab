import type { CheckpointStore, EventStore, Sql } from '@buergerkoffer/shared/event-sourcing';
import type { EventBus } from '@buergerkoffer/shared/messaging';
import type { PersonalDataProtector } from '@buergerkoffer/shared/privacy';

export interface SchedulingDeps {
  /** Scheduling's store, personal data (a home visit's address) sealed on the way in and opened on the way out. */
  readonly store: EventStore;
  /** The same store as stored (sealed), for the relay and the read models that need nothing personal. */
  readonly sealedStore: EventStore;
  readonly sql: Sql;
  readonly checkpoints: CheckpointStore;
  readonly bus: EventBus;
  /** Opens sealed fields of other services' integration events (the shared key store). */
  readonly protector: PersonalDataProtector;
  readonly now: () => Date;
}
