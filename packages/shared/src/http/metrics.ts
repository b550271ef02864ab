/** Prometheus metrics: HTTP requests and their durations by route, plus the process's default metrics. */
import type { FastifyInstance } from 'fastify';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { ProcessorRegistry } from '../event-sourcing/processor.ts';

declare module 'fastify' {
  interface FastifyInstance {
    metrics: Registry;
  }
}

export function registerMetrics(app: FastifyInstance, registry = new Registry()): Registry {
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
  app.get('/metrics', { config: { public: true }, schema: { hide: true } }, async (_request, reply) =>
    reply.header('content-type', registry.contentType).send(await registry.metrics()),
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
