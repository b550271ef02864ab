/**
 * Running one service on its own (distributed mode), the same way for every service, from its definition
 * (service-definition.ts): config from the environment (exit 78 naming every bad variable), tracing, logger, the
 * process guard (http/process-guard.ts: an uncaught exception, or a failure nobody caught during start-up, is
 * logged and exits 70), the service's PostgreSQL database and key store, the event store chosen by EVENT_STORE
 * (exit 69 naming it when it cannot be reached), Kafka for a service that uses the bus, the verifier, the HTTP app
 * with readiness and metrics, the service plugin, listen, and a graceful shutdown on SIGTERM/SIGINT.
 *
 * A service that does not use the bus (`usesBus: false`, e.g. casefile) neither needs KAFKA_BROKERS nor connects
 * to Kafka, and its readiness does not depend on Kafka.
 */

import { z } from 'zod';
import { ConfigError, env, parseConfig } from '../config/index.ts';
import { pgSql } from '../event-sourcing/postgres/sql.ts';
import { LocalKeys, oidcVerifier } from '../http/auth.ts';
import { idempotencySecretOf } from '../http/idempotency.ts';
import { guardProcess, onShutdown } from '../http/process-guard.ts';
import { createHttpApp } from '../http/server.ts';
import { KafkaEventBus } from '../messaging/kafka-event-bus.ts';
import { createLogger } from '../observability/logger.ts';
import { withStoreMetrics } from '../observability/store-metrics.ts';
import { startTracing } from '../observability/tracing.ts';
import { parseMasterKey } from '../privacy/crypto.ts';
import { PostgresKeyStore } from '../privacy/key-store.ts';
import { checkEventStoreConfig, EventStoreUnreachableError, eventStoreEnv, openEventStore } from './event-store.ts';
import { type AnyServiceDefinition, servicePlugin, systemParts } from './service-definition.ts';

const kafkaBrokers = z.string().min(1, 'comma-separated host:port list');

/** EX_UNAVAILABLE: a service the process needs (the event store) did not answer at start. */
export const EXIT_UNAVAILABLE = 69;

/** The variables every service reads; KAFKA_BROKERS is required only of a service that uses the bus. */
export const serviceEnvSchema = (defaultPort: number, { usesBus = true }: { readonly usesBus?: boolean } = {}) =>
  z
    .object({
      PORT: env.port(defaultPort),
      HOST: env.host('0.0.0.0'),
      LOG_LEVEL: env.logLevel(),
      DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, 'expected postgres://…'),
      ...eventStoreEnv,
      KAFKA_BROKERS: usesBus ? kafkaBrokers : kafkaBrokers.optional(),
      /** Wraps the data subjects' keys in the shared key store. */
      PD_MASTER_KEY: z
        .string()
        .refine(
          (value) => Buffer.from(value, 'base64').length === 32,
          'expected 32 bytes in base64 (openssl rand -base64 32)',
        ),
      AUTH_MODE: z.enum(['oidc', 'local']).default('oidc'),
      OIDC_ISSUER: z.url().optional(),
      OIDC_AUDIENCE: z.string().min(1).optional(),
      OIDC_JWKS_URI: z.url().optional(),
      /** AUTH_MODE=local: the directory holding the signing key (as `pnpm run token` uses with DATA_DIR). */
      AUTH_LOCAL_KEY_DIR: z.string().min(1).optional(),
      RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).default(600),
      /** The bearer token the metrics scraper presents on /metrics; without it, only an admin's JWT reads them. */
      METRICS_TOKEN: z.string().min(32, 'at least 32 characters (openssl rand -base64 32)').optional(),
      /** How long a relay, projection, feed hub or consumer may keep failing before /readyz answers 503 (ms). */
      READINESS_GRACE_MS: z.coerce.number().int().min(0).default(30_000),
    })
    .superRefine((config, context) => {
      checkEventStoreConfig(config, context);
      if (config.AUTH_MODE === 'oidc') {
        for (const name of ['OIDC_ISSUER', 'OIDC_AUDIENCE', 'OIDC_JWKS_URI'] as const) {
          if (!config[name])
            context.addIssue({ code: 'custom', path: [name], message: 'required with AUTH_MODE=oidc' });
        }
      } else if (!config.AUTH_LOCAL_KEY_DIR) {
        context.addIssue({ code: 'custom', path: ['AUTH_LOCAL_KEY_DIR'], message: 'required with AUTH_MODE=local' });
      }
    });

export type ServiceConfig = z.output<ReturnType<typeof serviceEnvSchema>>;

/** Runs the service of a definition on its own port until SIGTERM/SIGINT. */
export async function runService(definition: AnyServiceDefinition): Promise<void> {
  let config: ServiceConfig;
  try {
    config = parseConfig(serviceEnvSchema(definition.defaultPort, { usesBus: definition.usesBus }), process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(78);
  }
  const tracing = startTracing({ serviceName: definition.name });
  const logger = createLogger({ service: definition.name, level: config.LOG_LEVEL });
  const guard = guardProcess(logger, () => tracing.shutdown());
  const sql = pgSql({ connectionString: config.DATABASE_URL, max: 10 });
  let store: Awaited<ReturnType<typeof openEventStore>>;
  try {
    store = await openEventStore(config, sql);
  } catch (error) {
    if (!(error instanceof EventStoreUnreachableError)) throw error;
    logger.fatal({ eventStore: config.EVENT_STORE }, 'event store unreachable at start');
    process.stderr.write(`${error.message}\n`);
    await sql.close().catch(() => undefined);
    process.exit(EXIT_UNAVAILABLE);
  }
  const masterKey = parseMasterKey(config.PD_MASTER_KEY);
  const keyStore = await PostgresKeyStore.open(sql, masterKey);
  // A 10 s session: after a crash the group rebalances within seconds, not half a minute.
  const bus =
    definition.usesBus && config.KAFKA_BROKERS !== undefined
      ? KafkaEventBus.connect(
          { brokers: config.KAFKA_BROKERS.split(','), clientId: definition.name },
          { sessionTimeoutMs: 10_000, logger: logger.child({ component: 'kafka' }) },
        )
      : undefined;
  const verifier =
    config.AUTH_MODE === 'local'
      ? await LocalKeys.loadOrCreate(config.AUTH_LOCAL_KEY_DIR ?? '.')
      : oidcVerifier({
          issuer: config.OIDC_ISSUER ?? '',
          audience: config.OIDC_AUDIENCE ?? '',
          jwksUri: config.OIDC_JWKS_URI ?? '',
        });
  const app = await createHttpApp({
    logger,
    verifier,
    sql,
    openapi: { title: definition.title, version: '0.1.0' },
    rateLimit: { max: config.RATE_LIMIT_PER_MINUTE, timeWindowMs: 60_000 },
    metricsToken: config.METRICS_TOKEN,
    idempotencySecret: idempotencySecretOf(masterKey),
    processorGraceMs: config.READINESS_GRACE_MS,
    readiness: async () => ({
      eventStore: await store.headPosition().then(
        () => true,
        () => false,
      ),
      ...(bus ? { bus: await bus.isReachable() } : {}),
    }),
  });
  const parts = systemParts({ store: withStoreMetrics(store, app.metrics), sql, keyStore, masterKey });
  await app.register(servicePlugin(definition, parts, bus));

  onShutdown(logger, 15_000, async () => {
    await app.close(); // the service's consumers finish and commit, its relays and projections stop
    await bus?.close();
    await store.close();
    await sql.close();
    await tracing.shutdown();
  });

  await app.listen({ port: config.PORT, host: config.HOST });
  guard.started();
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.PORT;
  logger.info({ port }, 'listening');
  process.stdout.write(`${definition.name} listening on http://${config.HOST}:${port}\n`);
}
