export {
  type ApiAnswer,
  type ApiExpectation,
  type ApiRequest,
  type ApiSpecification,
  apiSpecification,
} from './api-specification.ts';
export { DeciderSpecification, type Then } from './decider-specification.ts';
export {
  containerRuntime,
  describeResolution,
  type InfraName,
  type InfraSource,
  kafkaAnswers,
  postgresAnswers,
  type Resolved,
  type ResolvedInfra,
  redactUrl,
  requiredButMissing,
  resolveInfrastructure,
} from './infra.ts';
export { type TestKafka, useTestKafka } from './kafka.ts';
export { createDatabase, type TestDatabase, useTestDatabase, withDatabase } from './postgres.ts';
export {
  freePort,
  type PrivateKafka,
  type PrivatePostgres,
  postgresBinaries,
  privateKafka,
  privatePostgres,
} from './private-servers.ts';
export { describeWith, describeWithAll, infra } from './requirements.ts';
export { metricValue, pollUntil, type ServiceProcess, useServiceProcesses } from './service-process.ts';
export { openEventStream, type SseEvent } from './sse.ts';
export { type ProxyMode, startTcpProxy, type TcpProxy } from './tcp-proxy.ts';
export { buildTestApp, TEST_KIT_ID, type TestApp, type TestAppOptions } from './test-app.ts';
