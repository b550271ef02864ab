/**
 * The relay: publishes a service's integration events from a checkpointed subscription on its own streams — never
 * from a request handler (no dual write). Each stored event the service's `map` turns into integration events is
 * published, and only then is the checkpoint moved past it, so after a crash the relay resumes at the first event
 * not yet known to be published: at-least-once, and in store order, hence in order per case (the Kafka key).
 *
 * The relay reads the events as stored: personal fields stay sealed on the bus, so erasure covers topics too.
 * The integration event's id is the stored event's id, so consumers recognise a republished event.
 */
import type { IntegrationEvent } from '../contracts/cloudevents.ts';
import { toKafkaRecord } from '../contracts/cloudevents.ts';
import { subscribeFromCheckpoint } from '../event-sourcing/checkpointed-subscription.ts';
import type { CheckpointStore, EventFilter, EventStore, StoredEvent, Subscription } from '../event-sourcing/types.ts';
import { contextFrom, inSpan, SpanKind, traceparentOf } from '../observability/tracing.ts';
import type { EventBus } from './types.ts';

export interface RelayRoute {
  readonly topic: string;
  readonly event: IntegrationEvent;
}

export interface RelayOptions {
  /** Stable name: its checkpoint is stored under `relay:<name>`. */
  readonly name: string;
  /** The service's own streams. */
  readonly filter: EventFilter;
  /** Domain → integration events: the service's own code; [] for events that stay inside the service. */
  readonly map: (event: StoredEvent) => readonly RelayRoute[];
}

export interface Relay {
  readonly subscription: Subscription;
  /** Position of the last stored event the relay has fully published. */
  readonly position: number;
  stop(): Promise<void>;
}

export async function startRelay(
  deps: { store: EventStore; checkpoints: CheckpointStore; bus: EventBus },
  options: RelayOptions,
): Promise<Relay> {
  const subscription = await subscribeFromCheckpoint(
    deps.store,
    deps.checkpoints,
    { subscriberId: `relay:${options.name}`, filter: options.filter },
    async (event) => {
      const routes = options.map(event);
      for (const route of routes) {
        // Continues the trace the event was stored in; the consumer continues this span's.
        await inSpan(
          `publish ${route.topic}`,
          {
            kind: SpanKind.PRODUCER,
            parent: contextFrom(event.metadata.traceparent),
            attributes: { 'messaging.destination.name': route.topic, 'messaging.message.id': route.event.id },
          },
          () => deps.bus.publish(route.topic, [toKafkaRecord({ ...route.event, traceparent: traceparentOf() })]),
        );
      }
      // subscribeFromCheckpoint stores the checkpoint after this returns: after the publish, never before.
    },
  );
  return {
    subscription,
    get position() {
      return subscription.position;
    },
    stop: () => subscription.stop(),
  };
}
