/** Prometheus: consumer lag per group, read from the bus when scraped. */
import { Gauge, type Registry } from 'prom-client';
import type { ProcessorRegistry } from '../event-sourcing/processor.ts';
import type { Consumer, EventBus } from './types.ts';

/** The consumer groups each registry's lag gauge reports: one gauge per registry, every service's groups in it. */
const lagGroups = new WeakMap<Registry, { groupId: string; topics: readonly string[]; bus: EventBus }[]>();

/**
 * The lag of the consumer groups (`messaging_consumer_lag_messages{group}`). Services that share a registry (the
 * embedded system) each add their groups to the one gauge.
 */
export function registerConsumerLagMetric(
  registry: Registry,
  bus: EventBus,
  consumers: readonly { groupId: string; topics: readonly string[] }[],
): void {
  const known = lagGroups.get(registry);
  if (known) {
    known.push(...consumers.map((consumer) => ({ ...consumer, bus })));
    return;
  }
  const groups = consumers.map((consumer) => ({ ...consumer, bus }));
  lagGroups.set(registry, groups);
  new Gauge({
    name: 'messaging_consumer_lag_messages',
    help: 'Messages a consumer group has not yet committed',
    labelNames: ['group'] as const,
    registers: [registry],
    async collect() {
      for (const consumer of groups) {
        const lag = await consumer.bus.consumerLag(consumer.groupId, consumer.topics).catch(() => Number.NaN);
        this.set({ group: consumer.groupId }, lag);
      }
    },
  });
}

/**
 * A bus consumer watched like a processor (`consumer:<group>` in readiness and the processor metrics), where its
 * adapter reports its health (Kafka: a consumer that crashed or cannot join and is waiting to start again).
 * Returns the removal (call it when the consumer stops).
 */
export function watchConsumer(registry: ProcessorRegistry, consumer: Consumer): () => void {
  const health = consumer.health?.bind(consumer);
  if (!health) return () => undefined;
  const name = `consumer:${consumer.groupId}`;
  return registry.add({
    name,
    status: () => {
      const { failingSince, failures } = health();
      return { name, position: 0, failures, failingSince, lastError: undefined };
    },
  });
}
