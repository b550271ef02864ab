export { createLogger, type Logger, type LoggerConfig, personalDataKeys } from './logger.ts';
export { withStoreMetrics } from './store-metrics.ts';
export {
  contextFrom,
  inSpan,
  SpanKind,
  startTracing,
  traceFields,
  traceparentOf,
  tracer,
} from './tracing.ts';
