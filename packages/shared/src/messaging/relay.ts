/**
 * The relay: publishes a service's integration events from its own streams in the store — never from a request
 * handler (no dual write). It is a processor (event-sourcing/processor.ts) named `relay:<name>`: each batch of stored
 * events the service's `map` turns into integration events is published (one send per topic, in store order), and
 * only then is the checkpoint moved past it. After a crash it resumes at the first event not known to be published;
 * when the bus is down, the batch fails, is logged and counted, and is tried again with a growing pause until the
 * bus answers — the relay never stops. At-least-once, and in store order, hence in order per case (the Kafka key).
 *
 * The relay reads the events as stored: personal fields stay sealed on the bus, so erasure covers topics too.
 * The integration event's id is the stored event's id, so consumers recognise a republished event. Every event is
 * checked against its published schema (`contracts`) before it is sent: one that does not conform fails its batch
 * like a bus that is down — the relay holds there, failing visibly (/readyz), rather than send what consumers would
 * dead-letter or skip an event and break the order of its case.
 */
import { type Span, SpanStatusCode, trace } from '@opentelemetry/api';
import {
  type ContractRegistry,
  conformingData,
  type IntegrationEvent,
  toKafkaRecord,
} from '../contracts/cloudevents.ts';
import {
  type Processor,
  type ProcessorLogger,
  type ProcessorRegistry,
  startProcessor,
} from '../event-sourcing/processor.ts';
import type { CheckpointStore, EventFilter, EventStore, StoredEvent } from '../event-sourcing/types.ts';
import { contextFrom, SpanKind, traceparentOf, tracer } from '../observability/tracing.ts';
import type { EventBus, OutgoingMessage } from './types.ts';

export interface RelayRoute {
  readonly topic: string;
  readonly event: IntegrationEvent;
}

/**
 * The route of one integration event built from a stored event: its id, time, tenant and trace are the stored
 * event's; the subject (the Kafka key: one partition per case) and the published type and data are the caller's.
 */
export function routeOf(
  stored: StoredEvent,
  to: { readonly topic: string; readonly source: string; readonly subject: string },
  published: { readonly type: string; readonly data: IntegrationEvent['data'] },
): RelayRoute {
  return {
    topic: to.topic,
    event: {
      id: stored.id,
      type: published.type,
      source: to.source,
      subject: to.subject,
      time: stored.recordedAt.toISOString(),
      tenant: stored.metadata.tenantId,
      traceparent: stored.metadata.traceparent,
      data: published.data,
    },
  };
}

export interface RelayOptions {
  /** Stable name: its checkpoint is stored under `relay:<name>`, which is also the processor's name. */
  readonly name: string;
  /** The service's own streams. */
  readonly filter: EventFilter;
  /** Domain → integration events: the service's own code; [] for events that stay inside the service. */
  readonly map: (event: StoredEvent) => readonly RelayRoute[];
  /** The published schemas of the events `map` answers, by type (packages/shared/src/contracts). */
  readonly contracts: ContractRegistry;
  /** Stored events per publish round (default 100). */
  readonly batchSize?: number;
  /** First and longest pause before a failed batch is tried again (ms). */
  readonly retryMs?: readonly [number, number];
  readonly log?: ProcessorLogger;
  readonly registry?: ProcessorRegistry;
  readonly onError?: (error: unknown, attempt: number) => void;
}

export type Relay = Processor;

/** A producer span per integration event, continuing the trace the event was stored in. */
function producerSpan(event: StoredEvent, route: RelayRoute): { span: Span; traceparent: string | undefined } {
  const parent = contextFrom(event.metadata.traceparent);
  const span = tracer().startSpan(
    `publish ${route.topic}`,
    {
      kind: SpanKind.PRODUCER,
      attributes: { 'messaging.destination.name': route.topic, 'messaging.message.id': route.event.id },
    },
    parent,
  );
  return { span, traceparent: traceparentOf(trace.setSpan(parent, span)) };
}

/** Publishes one batch: the routes of every event, grouped by topic in store order, one send per topic. */
async function publishBatch(
  bus: EventBus,
  batch: readonly StoredEvent[],
  { map, contracts }: Pick<RelayOptions, 'map' | 'contracts'>,
): Promise<void> {
  const byTopic = new Map<string, OutgoingMessage[]>();
  const spans: Span[] = [];
  for (const event of batch) {
    for (const route of map(event)) {
      const data = conformingData(contracts, route.event.type, route.event.data);
      const { span, traceparent } = producerSpan(event, route);
      spans.push(span);
      const record = toKafkaRecord({ ...route.event, data, ...(traceparent ? { traceparent } : {}) });
      byTopic.set(route.topic, [...(byTopic.get(route.topic) ?? []), record]);
    }
  }
  try {
    for (const [topic, messages] of byTopic) await bus.publish(topic, messages);
  } catch (error) {
    for (const span of spans) {
      span.recordException(error instanceof Error ? error : String(error));
      span.setStatus({ code: SpanStatusCode.ERROR });
    }
    throw error;
  } finally {
    for (const span of spans) span.end();
  }
}

export async function startRelay(
  deps: { store: EventStore; checkpoints: CheckpointStore; bus: EventBus },
  options: RelayOptions,
): Promise<Relay> {
  const checkpointId = `relay:${options.name}`;
  return startProcessor(
    deps.store,
    {
      name: checkpointId,
      filter: options.filter,
      batchSize: options.batchSize ?? 100,
      ...(options.retryMs ? { retryMs: options.retryMs } : {}),
      ...(options.log ? { log: options.log } : {}),
      ...(options.registry ? { registry: options.registry } : {}),
      ...(options.onError ? { onError: options.onError } : {}),
    },
    {
      resumeFrom: async () => (await deps.checkpoints.load(checkpointId)) ?? 0,
      handle: async (batch) => {
        await publishBatch(deps.bus, batch, options);
        const last = batch.at(-1);
        // After the publish, never before: a crash in between republishes the batch (consumers are idempotent).
        if (last) await deps.checkpoints.store(checkpointId, last.position);
        return undefined;
      },
    },
  );
}
