export {
  AUDIENCE,
  LOCAL_ISSUER,
  LocalKeys,
  oidcVerifier,
  type Principal,
  principalOf,
  ROLES,
  type Role,
  registerAuthentication,
  requireRole,
  type TokenVerifier,
} from './auth.ts';
export { etag, ifMatchRevision } from './concurrency.ts';
export { commandKeyOf, registerIdempotency } from './idempotency.ts';
export { registerMetrics } from './metrics.ts';
export {
  type FieldError,
  forbidden,
  HttpProblem,
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
export { createHttpApp, type HttpApp, type HttpAppOptions } from './server.ts';
