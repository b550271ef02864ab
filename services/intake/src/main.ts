/**
 * The intake service on its own (distributed mode): config → logger → PostgreSQL store, key store, Kafka → HTTP app
 * → listen → graceful shutdown (stop taking requests, let the relay and projection finish, close connections).
 */
import { hkdfSync } from 'node:crypto';
import { ConfigError, parseConfig } from '@buergerkoffer/shared/config';
import { PostgresCheckpointStore, PostgresEventStore, pgSql } from '@buergerkoffer/shared/event-sourcing';
import { createHttpApp, LocalKeys, oidcVerifier } from '@buergerkoffer/shared/http';
import { KafkaEventBus } from '@buergerkoffer/shared/messaging';
import { createLogger, startTracing, withStoreMetrics } from '@buergerkoffer/shared/observability';
import { PersonalDataStore, PostgresKeyStore, parseMasterKey } from '@buergerkoffer/shared/privacy';
import { configSchema } from './config.ts';
import { buildService, name, personalData } from './service.ts';

let config: ReturnType<typeof parseConfig<typeof configSchema>>;
try {
  config = parseConfig(configSchema, process.env);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(`${error.message}\n`);
  process.exit(78);
}

const tracing = startTracing({ serviceName: name });
const logger = createLogger({ service: name, level: config.LOG_LEVEL });
const sql = pgSql({ connectionString: config.DATABASE_URL, max: 10 });
const store = await PostgresEventStore.open(sql);
const masterKey = parseMasterKey(config.PD_MASTER_KEY);
const keyStore = await PostgresKeyStore.open(sql, masterKey);
// A 10 s session: after a crash the group rebalances within seconds, not half a minute.
const bus = KafkaEventBus.connect(
  { brokers: config.KAFKA_BROKERS.split(','), clientId: name },
  { sessionTimeoutMs: 10_000 },
);
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
  openapi: { title: 'Bürgerkoffer intake', version: '0.1.0' },
  rateLimit: { max: config.RATE_LIMIT_PER_MINUTE, timeWindowMs: 60_000 },
  readiness: async () => ({
    eventStore: await store.headPosition().then(
      () => true,
      () => false,
    ),
    bus: await bus.isReachable(),
  }),
});
const measured = withStoreMetrics(store, app.metrics);
await app.register(
  buildService({
    store: new PersonalDataStore(measured, keyStore, personalData),
    sql,
    checkpoints: new PostgresCheckpointStore(sql),
    duplicateSecret: Buffer.from(hkdfSync('sha256', masterKey, Buffer.alloc(0), 'intake duplicate lookup', 32)),
    now: () => new Date(),
    relay: { sealedStore: measured, bus },
  }),
);

let closing = false;
const shutdown = async (signal: string) => {
  if (closing) return;
  closing = true;
  logger.info({ signal }, 'shutting down');
  const force = setTimeout(() => process.exit(1), 15_000).unref();
  await app.close(); // stops the relay and the projection (their onClose hooks)
  await bus.close();
  await store.close();
  await tracing.shutdown();
  clearTimeout(force);
  process.exit(0);
};
process.once('SIGINT', () => void shutdown('SIGINT'));
process.once('SIGTERM', () => void shutdown('SIGTERM'));

await app.listen({ port: config.PORT, host: config.HOST });
const address = app.server.address();
const port = typeof address === 'object' && address ? address.port : config.PORT;
logger.info({ port }, 'intake listening');
process.stdout.write(`intake listening on http://${config.HOST}:${port}\n`);
