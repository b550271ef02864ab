/**
 * The HTTP runtime every service shares: fastify with zod validation and serialisation, problem+json errors,
 * bearer-token authentication, Idempotency-Key on POST, per-client rate limiting, body limits, Prometheus metrics,
 * health and readiness, and OpenAPI 3.1 generated from the zod schemas with a docs UI at /docs.
 * Services register their routes as plugins on it (standalone at `/`, embedded under `/<service>`).
 */
import { createHash } from 'node:crypto';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { context, propagation, type Span, SpanStatusCode, trace } from '@opentelemetry/api';
import Fastify, { type FastifyBaseLogger } from 'fastify';
import {
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import type { Sql } from '../event-sourcing/postgres/sql.ts';
import { ProcessorRegistry } from '../event-sourcing/processor.ts';
import { SpanKind, tracer } from '../observability/tracing.ts';
import { registerAuthentication, type TokenVerifier } from './auth.ts';
import { registerIdempotency } from './idempotency.ts';
import { registerMetrics, registerProcessorMetrics } from './metrics.ts';
import { problem, registerProblemHandling, sendProblem } from './problem.ts';

export interface HttpAppOptions {
  /** The service's pino logger (see observability): personal data redacted. */
  readonly logger: FastifyBaseLogger;
  readonly verifier: TokenVerifier;
  /** Where Idempotency-Key answers are kept (the service's database). */
  readonly sql: Sql;
  readonly openapi: { readonly title: string; readonly version: string; readonly description?: string };
  /** Each dependency's readiness (e.g. event store, bus): all true → 200, else 503 naming them. */
  readonly readiness?: () => Promise<Record<string, boolean>>;
  readonly bodyLimitBytes?: number;
  readonly rateLimit?: { readonly max: number; readonly timeWindowMs: number } | false;
  /**
   * How long a processor (relay, projection, feed hub) or bus consumer may keep failing before readiness turns
   * not-ready (ms, default 30,000): long enough to ride out a broker or database restart, short enough that an
   * orchestrator notices one that does not recover.
   */
  readonly processorGraceMs?: number;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The process's processors and consumers: services add theirs; readiness and metrics watch them. */
    processors: ProcessorRegistry;
  }
}

const requestSpans = new WeakMap<object, Span>();

export async function createHttpApp(options: HttpAppOptions) {
  const app = Fastify({
    loggerInstance: options.logger,
    bodyLimit: options.bodyLimitBytes ?? 262_144,
    requestIdHeader: 'x-request-id',
    return503OnClosing: true,
    // Plugins start their relays, consumers and topics in onReady; on a broker that has just started, topics wait
    // for their leaders (up to 120 s). Fastify's default of 10 s would end a healthy start on a slow machine.
    pluginTimeout: 180_000,
  }).withTypeProvider<ZodTypeProvider>();
  // A server span per request, continuing the caller's trace (traceparent); everything after runs inside it.
  app.addHook('onRequest', (request, _reply, done) => {
    const parent = propagation.extract(context.active(), request.headers);
    const span = tracer().startSpan(
      `HTTP ${request.method}`,
      {
        kind: SpanKind.SERVER,
        attributes: { 'http.request.method': request.method, 'url.path': request.url.split('?')[0] ?? '' },
      },
      parent,
    );
    requestSpans.set(request, span);
    context.with(trace.setSpan(parent, span), done);
  });
  app.addHook('onResponse', async (request, reply) => {
    const span = requestSpans.get(request);
    if (!span) return;
    span.setAttribute('http.response.status_code', reply.statusCode);
    if (request.routeOptions.url) span.updateName(`${request.method} ${request.routeOptions.url}`);
    if (reply.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    span.end();
  });
  // Server-Timing: how long the server took up to sending (browser dev tools and benchmarks tell it from the network).
  app.addHook('onSend', async (_request, reply, payload) => {
    reply.header('server-timing', `app;dur=${reply.elapsedTime.toFixed(1)}`);
    return payload;
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  registerProblemHandling(app);

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: options.openapi.title,
        version: options.openapi.version,
        description: options.openapi.description ?? '',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
      security: [{ bearer: [] }],
    },
    transform: jsonSchemaTransform,
  });
  // The docs UI's own routes are public.
  app.addHook('onRoute', (route) => {
    if (route.url.startsWith('/docs')) route.config = { ...(route.config ?? {}), public: true };
  });
  await app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { deepLinking: true } });

  if (options.rateLimit !== false) {
    await app.register(rateLimit, {
      max: options.rateLimit?.max ?? 600,
      timeWindow: options.rateLimit?.timeWindowMs ?? 60_000,
      // Per client: the bearer token's holder where there is one, else the address.
      keyGenerator: (request) => {
        const auth = request.headers.authorization;
        return auth ? createHash('sha256').update(auth).digest('hex').slice(0, 32) : request.ip;
      },
      errorResponseBuilder: (_request, context) => ({
        ...problem(429, 'rate-limited', `too many requests; retry in ${Math.ceil(context.ttl / 1_000)} s`),
        statusCode: 429,
      }),
    });
  }

  registerMetrics(app);
  const processors = new ProcessorRegistry();
  app.decorate('processors', processors);
  registerProcessorMetrics(app.metrics, processors);
  const graceMs = options.processorGraceMs ?? 30_000;
  registerAuthentication(app, options.verifier);
  await registerIdempotency(app, options.sql);

  app.get('/healthz', { config: { public: true }, schema: { hide: true } }, async () => ({ status: 'ok' as const }));
  app.get('/readyz', { config: { public: true }, schema: { hide: true } }, async (request, reply) => {
    const checks: Record<string, boolean> = {
      ...((await options.readiness?.().catch(() => ({ dependencies: false }))) ?? {}),
    };
    // A processor failing beyond the grace period: the process is up, but part of its work has stopped moving.
    const failing = processors.failing(graceMs);
    for (const watched of processors.list()) checks[watched.name] = !failing.some((f) => f.name === watched.name);
    const ready = Object.values(checks).every(Boolean);
    if (!ready) {
      return sendProblem(
        reply,
        request,
        problem(503, 'not-ready', 'a dependency is not reachable or a processor keeps failing', {
          checks,
          failing: failing.map((f) => ({
            name: f.name,
            failingSince: f.failingSince?.toISOString(),
            failures: f.failures,
            lastError: f.lastError,
          })),
        }),
      );
    }
    return { status: 'ready' as const, checks };
  });
  return app;
}

export type HttpApp = Awaited<ReturnType<typeof createHttpApp>>;
