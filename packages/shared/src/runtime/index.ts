export {
  checkEventStoreConfig,
  EVENT_STORES,
  type EventStoreConfig,
  EventStoreUnreachableError,
  eventStoreEnv,
  openEventStore,
  redactUrl,
} from './event-store.ts';
export { EXIT_UNAVAILABLE, runService, type ServiceConfig, serviceEnvSchema } from './run-service.ts';
export {
  type AnyServiceDefinition,
  type BusParts,
  type BusServiceDefinition,
  defineService,
  type ServiceDefinition,
  type StoreServiceDefinition,
  type SystemParts,
  servicePlugin,
  systemParts,
} from './service-definition.ts';
