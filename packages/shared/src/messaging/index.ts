export { backoffMs, DeliveryAbandoned, type DeliveryOutcome, deliver, partitionOf } from './delivery.ts';
export { type ConsumedEvent, idempotentHandler, isContractViolation } from './idempotent-consumer.ts';
export { KafkaEventBus, type KafkaEventBusOptions } from './kafka-event-bus.ts';
export { registerConsumerLagMetric, watchConsumer } from './metrics.ts';
export {
  type BusErrorContext,
  PostgresEventBus,
  type PostgresEventBusOptions,
} from './postgres-event-bus.ts';
export { type Relay, type RelayOptions, type RelayRoute, routeOf, startRelay } from './relay.ts';
export * from './types.ts';
