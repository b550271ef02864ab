/** Optimistic concurrency over HTTP: `ETag: W/"<revision>"` out, `If-Match` in (428 without it, 400 if malformed). */
import type { FastifyRequest } from 'fastify';
import { HttpProblem } from './problem.ts';

export const etag = (revision: number): string => `W/"${revision}"`;

/** The revision the caller saw, from If-Match; required on changes. */
export function ifMatchRevision(request: FastifyRequest): number {
  const header = request.headers['if-match'];
  if (typeof header !== 'string') {
    throw new HttpProblem(428, 'if-match-required', 'send If-Match with the ETag you read');
  }
  const match = /^(?:W\/)?"(-?\d+)"$/.exec(header.trim());
  if (!match?.[1]) {
    throw new HttpProblem(400, 'validation', 'If-Match must be an ETag such as W/"3"', {
      errors: [{ field: 'headers.if-match', message: 'expected W/"<revision>"' }],
    });
  }
  return Number(match[1]);
}
