export {
  type ContractRegistry,
  ContractViolation,
  fromKafkaRecord,
  type IntegrationEvent,
  JSON_CONTENT_TYPE,
  type KafkaRecord,
  SPEC_VERSION,
  toKafkaRecord,
} from './cloudevents.ts';
