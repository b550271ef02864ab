/**
 * Request ids. A caller's `X-Request-Id` is kept only in a strict format (it becomes the correlation id of what the
 * request stores, for good, and goes into every log line): anything else — too long, markup, control characters —
 * is replaced by a fresh random UUID, as is a missing one. Random, not a counter: ids stay unique across restarts
 * and instances. Every answer carries the id back as `x-request-id`.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export const REQUEST_ID_HEADER = 'x-request-id';
export const REQUEST_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;

/** Fastify's `genReqId`: the caller's id where it is well-formed, else a new one. */
export function requestIdOf(request: IncomingMessage): string {
  const offered = request.headers[REQUEST_ID_HEADER];
  return typeof offered === 'string' && REQUEST_ID_PATTERN.test(offered) ? offered : randomUUID();
}
