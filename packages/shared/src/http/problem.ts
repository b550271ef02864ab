/**
 * Errors as RFC 9457 problem details (`application/problem+json`). Errors carry codes, not statuses; this is the one
 * place that maps them: validation 400 (every offending field), 401, 403, 404, 409 illegal state, 412 revision
 * mismatch, 413, 415, 429; anything unexpected is a 500 that hides its internals (logged with the request id).
 * What fastify and Node answer before a route is found (a bad URL, an over-long parameter, a broken request or
 * oversized headers) is turned into problem+json too, in server.ts (`frameworkErrors`, `clientErrorHandler`).
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { DomainError } from '../event-sourcing/decider.ts';
import {
  IdempotencyConflictError,
  InvalidEventError,
  InvalidStreamNameError,
  PayloadTooLargeError,
  StreamDeletedError,
  VersionConflictError,
} from '../event-sourcing/errors.ts';
import { SubjectErasedError } from '../privacy/key-store.ts';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export interface FieldError {
  readonly field: string;
  readonly message: string;
}

export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail?: string;
  readonly instance?: string;
  readonly code?: string;
  readonly errors?: readonly FieldError[];
  readonly [extension: string]: unknown;
}

/**
 * An HTTP-level refusal (authentication, authorisation, not found, idempotency, …) with a stable code, and the
 * headers the refusal needs (a 401's `WWW-Authenticate`).
 */
export class HttpProblem extends Error {
  readonly status: number;
  readonly code: string;
  readonly extensions: Readonly<Record<string, unknown>>;
  readonly headers: Readonly<Record<string, string>>;
  constructor(
    status: number,
    code: string,
    detail: string,
    extensions: Record<string, unknown> = {},
    headers: Record<string, string> = {},
  ) {
    super(detail);
    this.name = 'HttpProblem';
    this.status = status;
    this.code = code;
    this.extensions = extensions;
    this.headers = headers;
  }
}

/** The realm every 401 names (RFC 6750 §3). */
export const AUTH_REALM = 'buergerkoffer';

/** No bearer token: the challenge alone, so a client knows which scheme to use (RFC 6750 §3.1: no error code). */
export const unauthorized = (detail = 'a valid bearer token is required') =>
  new HttpProblem(401, 'unauthenticated', detail, {}, { 'www-authenticate': `Bearer realm="${AUTH_REALM}"` });

/** A bearer token was presented and refused: `invalid_token` tells the client to get a new one, not to retry. */
export const invalidToken = (detail = 'the token is invalid or expired') =>
  new HttpProblem(
    401,
    'unauthenticated',
    detail,
    {},
    { 'www-authenticate': `Bearer realm="${AUTH_REALM}", error="invalid_token"` },
  );
export const forbidden = (detail: string) => new HttpProblem(403, 'forbidden', detail);
export const notFound = (detail = 'not found') => new HttpProblem(404, 'not-found', detail);

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  408: 'Request Timeout',
  409: 'Conflict',
  412: 'Precondition Failed',
  413: 'Content Too Large',
  414: 'URI Too Long',
  415: 'Unsupported Media Type',
  428: 'Precondition Required',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export function problem(
  status: number,
  code: string,
  detail?: string,
  extensions: Record<string, unknown> = {},
): Problem {
  return {
    type: `https://buergerkoffer.example/problems/${code}`,
    title: TITLES[status] ?? 'Error',
    status,
    code,
    ...(detail === undefined ? {} : { detail }),
    ...extensions,
  };
}

const DOMAIN_STATUS: Record<DomainError['kind'], number> = {
  'illegal-state': 409,
  'not-found': 404,
  validation: 400,
  forbidden: 403,
};

/** The problem for an error, and whether it is unexpected (to be logged as an error). */
export function toProblem(error: unknown): { problem: Problem; unexpected: boolean } {
  if (hasZodFastifySchemaValidationErrors(error)) {
    const context = (error as { validationContext?: string }).validationContext ?? 'body';
    const errors = error.validation.map((issue) => ({
      field: [context, ...issue.instancePath.split('/').filter(Boolean)].join('.'),
      message: issue.message ?? 'invalid',
    }));
    return { problem: problem(400, 'validation', `${errors.length} invalid field(s)`, { errors }), unexpected: false };
  }
  if (error instanceof HttpProblem) {
    return { problem: problem(error.status, error.code, error.message, { ...error.extensions }), unexpected: false };
  }
  if (error instanceof DomainError) {
    return { problem: problem(DOMAIN_STATUS[error.kind], error.code, error.message), unexpected: false };
  }
  if (error instanceof VersionConflictError) {
    return {
      problem: problem(412, error.code, 'the resource changed since you read it', {
        currentRevision: error.actualRevision,
      }),
      unexpected: false,
    };
  }
  if (error instanceof StreamDeletedError) return { problem: problem(404, error.code, 'not found'), unexpected: false };
  if (error instanceof SubjectErasedError) {
    // Personal data about an erased subject would be sealed for nobody: nothing new is recorded about them.
    return {
      problem: problem(409, error.code, 'the data subject was erased: nothing more is recorded about them'),
      unexpected: false,
    };
  }
  if (error instanceof IdempotencyConflictError) {
    return { problem: problem(409, error.code, 'this request conflicts with one made before'), unexpected: false };
  }
  if (error instanceof PayloadTooLargeError)
    return { problem: problem(413, error.code, error.message), unexpected: false };
  if (error instanceof InvalidEventError || error instanceof InvalidStreamNameError) {
    return { problem: problem(400, error.code, error.message), unexpected: false };
  }
  const fastifyError = error as Partial<FastifyError>;
  switch (fastifyError.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { problem: problem(413, 'body-too-large', 'the request body is too large'), unexpected: false };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return { problem: problem(415, 'unsupported-media-type', 'send application/json'), unexpected: false };
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return { problem: problem(400, 'malformed-body', 'the body is not valid JSON'), unexpected: false };
    // Fastify's own messages for these two quote the URL: the problem names the fault, never the caller's text.
    case 'FST_ERR_BAD_URL':
      return { problem: problem(400, 'bad-url', 'the URL is not validly percent-encoded'), unexpected: false };
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return {
        problem: problem(414, 'uri-too-long', 'a path parameter is longer than 100 characters'),
        unexpected: false,
      };
    default:
      break;
  }
  if (fastifyError.statusCode === 429) {
    return { problem: problem(429, 'rate-limited', 'too many requests; retry later'), unexpected: false };
  }
  if (typeof fastifyError.statusCode === 'number' && fastifyError.statusCode >= 400 && fastifyError.statusCode < 500) {
    return {
      problem: problem(
        fastifyError.statusCode,
        fastifyError.code?.toLowerCase() ?? 'bad-request',
        fastifyError.message,
      ),
      unexpected: false,
    };
  }
  return { problem: problem(500, 'internal', 'an unexpected error occurred; it has been logged'), unexpected: true };
}

/** The problem's `instance` is the path without the query: a query may carry personal data or a caller's markup. */
export function sendProblem(reply: FastifyReply, request: FastifyRequest, body: Problem): FastifyReply {
  return reply
    .code(body.status)
    .header('content-type', PROBLEM_CONTENT_TYPE)
    .send({ ...body, instance: request.url.split('?')[0] ?? '' });
}

export function registerProblemHandling(app: FastifyInstance): void {
  app.setErrorHandler((error, request, reply) => {
    const { problem: body, unexpected } = toProblem(error);
    if (unexpected) request.log.error({ err: error }, 'request failed');
    if (error instanceof HttpProblem)
      for (const [name, value] of Object.entries(error.headers)) reply.header(name, value);
    if (body.status === 429) reply.header('retry-after', reply.getHeader('retry-after') ?? '60');
    return sendProblem(reply, request, body);
  });
  app.setNotFoundHandler((request, reply) => sendProblem(reply, request, problem(404, 'not-found', 'no such route')));
}
