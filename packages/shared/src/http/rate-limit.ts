/**
 * The per-client rate limit, run by the authentication hook between verifying the token and refusing it
 * (auth.ts, `registerAuthentication`): a verified caller is counted as its tenant and subject — however the
 * Authorization header is spelt, and across the fresh tokens it fetches — anyone else (no token, or a refused one)
 * by its address, so guessing tokens is limited like any other request. Probes (`/healthz`, `/readyz`, every
 * `/<service>/healthz`) and `/metrics` are never limited: an orchestrator or scraper polling from one address must not
 * be told 429 and take a healthy instance for a dead one.
 */
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { HttpProblem } from './problem.ts';

export interface RateLimitOptions {
  readonly max: number;
  readonly timeWindowMs: number;
}

const UNLIMITED_ROUTES = /^(?:\/metrics|(?:\/[^/]+)?\/(?:healthz|readyz))$/;

/** Whether a request is outside the limit (by its route, not its URL: `/healthz?x` is still the probe). */
export const isUnlimited = (request: FastifyRequest): boolean => UNLIMITED_ROUTES.test(request.routeOptions.url ?? '');

/** The bucket: the verified caller, else the address. The unit separator cannot occur in either part. */
export const rateLimitKeyOf = (request: FastifyRequest): string =>
  request.principal
    ? `caller\u001f${request.principal.tenantId}\u001f${request.principal.subject}`
    : `address\u001f${request.ip}`;

/** Registers the limiter's store and answers the check to run per request (throws the 429). */
export async function createRateLimit(
  app: FastifyInstance,
  options: RateLimitOptions,
): Promise<(request: FastifyRequest, reply: FastifyReply) => Promise<void>> {
  // `global: false`: the plugin adds no route hooks of its own (those would run after authentication refused).
  await app.register(rateLimit, {
    global: false,
    max: options.max,
    timeWindow: options.timeWindowMs,
    keyGenerator: rateLimitKeyOf,
  });
  const limiter = app.createRateLimit();
  return async (request, reply) => {
    if (isUnlimited(request)) return;
    const result = await limiter(request);
    if (result.isAllowed) return;
    reply
      .header('x-ratelimit-limit', result.max)
      .header('x-ratelimit-remaining', result.remaining)
      .header('x-ratelimit-reset', result.ttlInSeconds);
    if (!result.isExceeded) return;
    reply.header('retry-after', result.ttlInSeconds);
    throw new HttpProblem(429, 'rate-limited', `too many requests; retry in ${result.ttlInSeconds} s`);
  };
}
