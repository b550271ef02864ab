/**
 * Prometheus metrics: HTTP requests and their durations by route, plus the process's default metrics. `/metrics` is
 * not public (route names, lag and failure counts tell an attacker what runs and what struggles): it answers a
 * scraper presenting the configured metrics token (`METRICS_TOKEN`, compared in constant time), or a caller whose
 * bearer JWT carries the role `admin`. It is outside the rate limit (rate-limit.ts), so a scraper is never told 429.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { ProcessorRegistry } from '../event-sourcing/processor.ts';
import { bearerTokenOf, type TokenVerifier } from './auth.ts';
import { forbidden, HttpProblem, invalidToken, unauthorized } from './problem.ts';

declare module 'fastify' {
  interface FastifyInstance {
    metrics: Registry;
  }
}

export interface MetricsAccess {
  /** Verifies a bearer JWT (an admin may always read the metrics). */
  readonly verifier: TokenVerifier;
  /** A static bearer token for scrapers; without one, only an admin's JWT is let in. */
  readonly token?: string | undefined;
}

// Both sides hashed first: equal lengths for timingSafeEqual, and no early exit that tells the token's length.
const digest = (value: string) => createHash('sha256').update(value).digest();

/** The `onRequest` hook guarding `/metrics`. */
export function metricsGuard(access: MetricsAccess): (request: FastifyRequest) => Promise<void> {
  const expected = access.token === undefined ? undefined : digest(access.token);
  return async (request) => {
    const presented = bearerTokenOf(request);
    if (presented === undefined) throw unauthorized('a metrics token or an admin’s bearer token is required');
    if (expected && timingSafeEqual(digest(presented), expected)) return;
    const principal = await access.verifier.verify(presented).catch((error: unknown) => {
      if (error instanceof HttpProblem) throw invalidToken('neither the metrics token nor a valid bearer token');
      throw error;
    });
    if (!principal.roles.includes('admin')) throw forbidden('the metrics are for admins and the metrics scraper');
  };
}

export function registerMetrics(app: FastifyInstance, access: MetricsAccess, registry = new Registry()): Registry {
  collectDefaultMetrics({ register: registry });
  const requests = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests by method, route and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration by method and route',
    labelNames: ['method', 'route'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  app.decorate('metrics', registry);
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    requests.inc({ method: request.method, route, status: String(reply.statusCode) });
    duration.observe({ method: request.method, route }, reply.elapsedTime / 1_000);
  });
  // Public to the authentication hook (a metrics token is no JWT); the route's own guard decides.
  app.get(
    '/metrics',
    { config: { public: true }, schema: { hide: true }, onRequest: metricsGuard(access) },
    async (_request, reply) => reply.header('content-type', registry.contentType).send(await registry.metrics()),
  );
  return registry;
}

/**
 * Every processor's (and watched consumer's) health as metrics, labelled by its name: how far it is behind the
 * store's head, how long it has been failing, and its failures. Alert on `processor_failing_seconds > 0` for long.
 */
export function registerProcessorMetrics(registry: Registry, processors: ProcessorRegistry): void {
  const failures = new Counter({
    name: 'processor_failures_total',
    help: 'Failures of each processor (relay, projection, feed hub) or consumer; each is followed by a retry',
    labelNames: ['processor'] as const,
    registers: [registry],
  });
  processors.onFailure((name) => failures.inc({ processor: name }));
  new Gauge({
    name: 'processor_lag_events',
    help: 'Store positions between the head and what each processor has handled (a relay: stored, not yet published)',
    labelNames: ['processor'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const watched of processors.list()) {
        if (!watched.lag) continue;
        const lag = await watched.lag().catch(() => undefined);
        if (lag !== undefined) this.set({ processor: watched.name }, lag);
      }
    },
  });
  new Gauge({
    name: 'processor_failing_seconds',
    help: 'How long each processor or consumer has been failing without a success (0 while healthy)',
    labelNames: ['processor'] as const,
    registers: [registry],
    collect() {
      this.reset();
      const now = Date.now();
      for (const watched of processors.list()) {
        const since = watched.status().failingSince;
        this.set({ processor: watched.name }, since ? (now - since.getTime()) / 1_000 : 0);
      }
    },
  });
  new Gauge({
    name: 'processor_position',
    help: 'Global store position each processor has handled',
    labelNames: ['processor'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const watched of processors.list()) this.set({ processor: watched.name }, watched.status().position);
    },
  });
}
