export {
  AUDIENCE,
  bearerTokenOf,
  CLOCK_TOLERANCE_SECONDS,
  LOCAL_ISSUER,
  LocalKeys,
  MAX_TOKEN_AGE_SECONDS,
  oidcVerifier,
  type Principal,
  principalOf,
  ROLES,
  type Role,
  registerAuthentication,
  requireRole,
  TENANT_PATTERN,
  type TokenVerifier,
} from './auth.ts';
export { etag, ifMatchRevision } from './concurrency.ts';
export {
  commandKeyOf,
  idempotencySecretOf,
  keyHash as idempotencyKeyHash,
  registerIdempotency,
} from './idempotency.ts';
export { locationOf } from './location.ts';
export { type MetricsAccess, metricsGuard, registerMetrics } from './metrics.ts';
export {
  eventStream,
  htmlDocument,
  ifMatchHeader,
  lastEventIdHeader,
  mediaTypes,
  type ProblemStatus,
  personal,
  personalText,
  problemResponseFor,
  problemResponses,
  problemSchema,
  withHeaders,
} from './openapi.ts';
export {
  AUTH_REALM,
  type FieldError,
  forbidden,
  HttpProblem,
  invalidToken,
  notFound,
  PROBLEM_CONTENT_TYPE,
  type Problem,
  problem,
  registerProblemHandling,
  sendProblem,
  toProblem,
  unauthorized,
} from './problem.ts';
export { EXIT_INTERNAL_ERROR, errorFields, guardProcess, onShutdown, type ProcessGuard } from './process-guard.ts';
export { REQUEST_ID_HEADER, REQUEST_ID_PATTERN } from './request-id.ts';
export { isStrictDate, isStrictInstant, strictDate, strictInstant } from './schemas.ts';
export { createHttpApp, type HttpApp, type HttpAppOptions } from './server.ts';
