import type { CheckpointStore, EventStore, Sql } from '@buergerkoffer/shared/event-sourcing';
import type { EventBus } from '@buergerkoffer/shared/messaging';
import type { PersonalDataProtector } from '@buergerkoffer/shared/privacy';

export interface FieldkitDeps {
  /** Fieldkit's store sealing the participants' data on the way in (and the access log's). */
  readonly store: EventStore;
  /** The same store as stored: the visits' events hold nothing personal; the manifest opens what it may. */
  readonly sealedStore: EventStore;
  readonly sql: Sql;
  readonly checkpoints: CheckpointStore;
  readonly bus: EventBus;
  /** Opens sealed fields (intake's integration events, the participants' records): the shared key store. */
  readonly protector: PersonalDataProtector;
  readonly now: () => Date;
}
