/**
 * Running one service on its own (distributed mode), the same way for every service: config from the environment
 * (exit 78 naming every bad variable), tracing, logger, the process guard (process-guard.ts: an uncaught exception,
 * or a failure nobody caught during start-up, is logged and exits 70), the PostgreSQL store and key store, Kafka for
 * a service that uses the bus, the verifier, the HTTP app with readiness and metrics, the service plugin, listen,
 * and a graceful shutdown on SIGTERM/SIGINT.
 *
 * A service that does not use the bus (`usesBus: false`, e.g. casefile) neither needs KAFKA_BROKERS nor connects
 * to Kafka, and its readiness does not depend on Kafka.
 */

import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { ConfigError, env, parseConfig } from '../config/index.ts';
import { PostgresCheckpointStore, PostgresEventStore } from '../event-sourcing/postgres/postgres-event-store.ts';
import type { Sql } from '../event-sourcing/postgres/sql.ts';
import { pgSql } from '../event-sourcing/postgres/sql.ts';
import type { CheckpointStore, EventStore } from '../event-sourcing/types.ts';
import { KafkaEventBus } from '../messaging/kafka-event-bus.ts';
import { createLogger, type Logger } from '../observability/logger.ts';
import { withStoreMetrics } from '../observability/store-metrics.ts';
import { startTracing } from '../observability/tracing.ts';
import { parseMasterKey } from '../privacy/crypto.ts';
import { PostgresKeyStore } from '../privacy/key-store.ts';
import { LocalKeys, oidcVerifier } from './auth.ts';
import { guardProcess } from './process-guard.ts';
import { createHttpApp } from './server.ts';

const kafkaBrokers = z.string().min(1, 'comma-separated host:port list');

/** The variables every service reads; KAFKA_BROKERS is required only of a service that uses the bus. */
export const serviceEnvSchema = (defaultPort: number, { usesBus = true }: { readonly usesBus?: boolean } = {}) =>
  z
    .object({
      PORT: env.port(defaultPort),
      HOST: env.host('0.0.0.0'),
      LOG_LEVEL: env.logLevel(),
      DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, 'expected postgres://…'),
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
      /** How long a relay, projection, feed hub or consumer may keep failing before /readyz answers 503 (ms). */
      READINESS_GRACE_MS: z.coerce.number().int().min(0).default(30_000),
    })
    .superRefine((config, context) => {
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

/** What the runtime hands a service to build itself from. */
export interface RuntimeDeps {
  readonly config: ServiceConfig;
  /** The store with append metrics (as stored: personal fields sealed). */
  readonly store: EventStore;
  readonly sql: Sql;
  readonly checkpoints: CheckpointStore;
  readonly keyStore: PostgresKeyStore;
  readonly masterKey: Buffer;
  readonly now: () => Date;
}

/** What a service that uses the bus gets as well. */
export interface BusRuntimeDeps extends RuntimeDeps {
  readonly bus: KafkaEventBus;
}

interface ServiceDefinition {
  readonly name: string;
  readonly title: string;
  readonly defaultPort: number;
}

/** A service says whether it uses the bus; only then is Kafka configured, connected and part of readiness. */
export type RunServiceOptions =
  | (ServiceDefinition & { readonly usesBus: true; readonly build: (deps: BusRuntimeDeps) => FastifyPluginAsync })
  | (ServiceDefinition & { readonly usesBus: false; readonly build: (deps: RuntimeDeps) => FastifyPluginAsync });

/**
 * On SIGTERM or SIGINT: run `close` once, then exit 0; exit 1 if it takes longer than `timeoutMs`.
 */
export function onShutdown(logger: Logger, timeoutMs: number, close: () => Promise<void>): void {
  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    logger.info({ signal }, 'shutting down');
    const force = setTimeout(() => process.exit(1), timeoutMs).unref();
    await close();
    clearTimeout(force);
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
}

export async function runService(options: RunServiceOptions): Promise<void> {
  let config: ServiceConfig;
  try {
    config = parseConfig(serviceEnvSchema(options.defaultPort, { usesBus: options.usesBus }), process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(78);
  }
  const tracing = startTracing({ serviceName: options.name });
  const logger = createLogger({ service: options.name, level: config.LOG_LEVEL });
  const guard = guardProcess(logger, () => tracing.shutdown());
  const sql = pgSql({ connectionString: config.DATABASE_URL, max: 10 });
  const store = await PostgresEventStore.open(sql);
  const masterKey = parseMasterKey(config.PD_MASTER_KEY);
  const keyStore = await PostgresKeyStore.open(sql, masterKey);
  // A 10 s session: after a crash the group rebalances within seconds, not half a minute.
  const bus =
    options.usesBus && config.KAFKA_BROKERS !== undefined
      ? KafkaEventBus.connect(
          { brokers: config.KAFKA_BROKERS.split(','), clientId: options.name },
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
    openapi: { title: options.title, version: '0.1.0' },
    rateLimit: { max: config.RATE_LIMIT_PER_MINUTE, timeWindowMs: 60_000 },
    processorGraceMs: config.READINESS_GRACE_MS,
    readiness: async () => ({
      eventStore: await store.headPosition().then(
        () => true,
        () => false,
      ),
      ...(bus ? { bus: await bus.isReachable() } : {}),
    }),
  });
  const deps: RuntimeDeps = {
    config,
    store: withStoreMetrics(store, app.metrics),
    sql,
    checkpoints: new PostgresCheckpointStore(sql),
    keyStore,
    masterKey,
    now: () => new Date(),
  };
  if (options.usesBus) {
    if (!bus) throw new Error('unreachable: KAFKA_BROKERS is required of a service that uses the bus');
    await app.register(options.build({ ...deps, bus }));
  } else {
    await app.register(options.build(deps));
  }

  onShutdown(logger, 15_000, async () => {
    await app.close(); // the service's consumers finish and commit, its relays and projections stop
    await bus?.close();
    await store.close();
    await tracing.shutdown();
  });

  await app.listen({ port: config.PORT, host: config.HOST });
  guard.started();
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.PORT;
  logger.info({ port }, 'listening');
  process.stdout.write(`${options.name} listening on http://${config.HOST}:${port}\n`);
}
