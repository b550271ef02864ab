/**
 * The HTTP runtime every service shares: fastify with zod validation and serialisation, problem+json for every 4xx
 * and 5xx (fastify's and Node's own refusals included), bearer-token authentication, Idempotency-Key on writes,
 * per-client rate limiting (outside it: probes and metrics), strict UTF-8 JSON bodies within a limit, request ids,
 * security headers, Prometheus metrics (for the scraper's token or an admin), health and readiness, and OpenAPI 3.1
 * generated from the zod schemas with a docs UI at /docs. docs/security.md says what a caller meets.
 * Services register their routes as plugins on it (standalone at `/`, embedded under `/<service>`).
 */
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { context, propagation, type Span, SpanStatusCode, trace } from '@opentelemetry/api';
import Fastify, { type FastifyBaseLogger } from 'fastify';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Sql } from '../event-sourcing/postgres/sql.ts';
import { ProcessorRegistry } from '../event-sourcing/processor.ts';
import { SpanKind, tracer } from '../observability/tracing.ts';
import { registerAuthentication, type TokenVerifier } from './auth.ts';
import { answerClientError, answerFrameworkError } from './framework-errors.ts';
import { registerIdempotency } from './idempotency.ts';
import { registerJsonBody } from './json-body.ts';
import { registerMetrics, registerProcessorMetrics } from './metrics.ts';
import { API_CONVENTIONS, openapiTransform, openapiTransformObject } from './openapi.ts';
import { HttpProblem, problem, registerProblemHandling, sendProblem } from './problem.ts';
import { createRateLimit } from './rate-limit.ts';
import { REQUEST_ID_HEADER, requestIdOf } from './request-id.ts';
import { RAW_SECURITY_HEADERS, registerSecurityHeaders, relaxForDocs } from './security-headers.ts';

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
  /** The bearer token a metrics scraper presents (`METRICS_TOKEN`); without one only an admin may read /metrics. */
  readonly metricsToken?: string | undefined;
  /**
   * The deployment's secret that Idempotency-Key answers are sealed with, beside the client's key (idempotency.ts):
   * derive it from the master key. Without one, answers are sealed under the client's key alone.
   */
  readonly idempotencySecret?: Buffer | undefined;
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
    genReqId: requestIdOf,
    frameworkErrors: (error, request, reply) => answerFrameworkError(error, request, reply),
    clientErrorHandler: answerClientError,
    // Fastify's own 503 while closing is plain JSON; the onRequest hook below answers problem+json instead.
    return503OnClosing: false,
    // Plugins start their relays, consumers and topics in onReady; on a broker that has just started, topics wait
    // for their leaders (up to 120 s). Fastify's default of 10 s would end a healthy start on a slow machine.
    pluginTimeout: 180_000,
  }).withTypeProvider<ZodTypeProvider>();
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onRequest', async (request, reply) => {
    reply.header(REQUEST_ID_HEADER, request.id);
    if (closing) {
      // Before helmet's hook has run: its headers are set here.
      reply.headers({ ...RAW_SECURITY_HEADERS, connection: 'close' });
      throw new HttpProblem(503, 'shutting-down', 'this instance is shutting down; retry on another');
    }
  });
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
  registerJsonBody(app);

  // The docs UI's own routes are public, and may run its scripts (security-headers.ts). Added before helmet: its
  // onRoute hook reads the policy this one sets.
  app.addHook('onRoute', (route) => {
    if (route.url === '/docs' || route.url.startsWith('/docs/')) {
      route.config = { ...(route.config ?? {}), public: true };
      relaxForDocs(route);
    }
  });
  await registerSecurityHeaders(app);

  // What the runtime does to every route (401, 429, 500, Idempotency-Key) is added to the document here, by
  // openapi.ts; the routes declare what they decide themselves. docs/api.md.
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: options.openapi.title,
        version: options.openapi.version,
        description: [options.openapi.description, API_CONVENTIONS].filter(Boolean).join('\n\n'),
        license: { name: 'EUPL-1.2', identifier: 'EUPL-1.2' },
      },
      // Relative: the instance that serves the document (standalone at `/`, embedded with each service's prefix).
      servers: [{ url: '/', description: 'This instance' }],
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
      security: [{ bearer: [] }],
    },
    transform: openapiTransform,
    transformObject: openapiTransformObject,
  });
  // No validator badge: it would send the document's address to validator.swagger.io (and the CSP refuses it).
  await app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { deepLinking: true, validatorUrl: null } });

  const limit =
    options.rateLimit === false
      ? undefined
      : await createRateLimit(app, {
          max: options.rateLimit?.max ?? 600,
          timeWindowMs: options.rateLimit?.timeWindowMs ?? 60_000,
        });

  registerMetrics(app, { verifier: options.verifier, token: options.metricsToken });
  const processors = new ProcessorRegistry();
  app.decorate('processors', processors);
  registerProcessorMetrics(app.metrics, processors);
  const graceMs = options.processorGraceMs ?? 30_000;
  // Verify, count against the limit, then refuse (auth.ts): refused tokens are limited too.
  registerAuthentication(app, options.verifier, limit);
  await registerIdempotency(app, options.sql, options.idempotencySecret ? { secret: options.idempotencySecret } : {});

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
