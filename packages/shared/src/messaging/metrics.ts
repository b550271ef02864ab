/** Prometheus: consumer lag per group, read from the bus when scraped. */
import { Gauge, type Registry } from 'prom-client';
import type { EventBus } from './types.ts';

export function registerConsumerLagMetric(
  registry: Registry,
  bus: EventBus,
  consumers: readonly { groupId: string; topics: readonly string[] }[],
): void {
  new Gauge({
    name: 'messaging_consumer_lag_messages',
    help: 'Messages a consumer group has not yet committed',
    labelNames: ['group'] as const,
    registers: [registry],
    async collect() {
      for (const consumer of consumers) {
        const lag = await bus.consumerLag(consumer.groupId, consumer.topics).catch(() => Number.NaN);
        this.set({ group: consumer.groupId }, lag);
      }
    },
  });
}
