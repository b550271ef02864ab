import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { PostgresEventStore } from '@buergerkoffer/shared/event-sourcing';
import { createHttpApp, idempotencySecretOf, LocalKeys } from '@buergerkoffer/shared/http';
import { PostgresEventBus } from '@buergerkoffer/shared/messaging';
import { type Logger, withStoreMetrics } from '@buergerkoffer/shared/observability';
import { PostgresKeyStore } from '@buergerkoffer/shared/privacy';
import { type EventStoreConfig, openEventStore, servicePlugin, systemParts } from '@buergerkoffer/shared/runtime';
import { loadOrCreateMasterKey } from './master-key.ts';
import { services } from './services.ts';
import { type TestFault, withTestFault } from './test-fault.ts';

export { services } from './services.ts';

export interface EmbeddedDeps {
  logger: Logger;
  dataDir: string;
  /** Where the events are (default: the embedded database). */
  eventStore?: EventStoreConfig;
  /** How long a processor or consumer may keep failing before /readyz answers 503 (ms, default 30,000). */
  readinessGraceMs?: number;
  /** The bearer token a metrics scraper presents on /metrics (METRICS_TOKEN); without it, only an admin reads them. */
  metricsToken?: string | undefined;
  /** A test fault hook (test-fault.ts); undefined outside tests. */
  testFault?: TestFault | undefined;
}

/**
 * The whole system in one process: the shared HTTP runtime (auth with the local key, problem+json, idempotency,
 * metrics, /docs), every service mounted under `/<name>`, and the event store on the PostgreSQL engine embedded
 * in-process (PGlite), persisted under `<dataDir>/eventstore`.
 */
export async function buildEmbedded(deps: EmbeddedDeps) {
  await mkdir(deps.dataDir, { recursive: true });
  const store = await PostgresEventStore.embedded(join(deps.dataDir, 'eventstore'));
  // The events in the embedded database, or — EVENT_STORE=kurrentdb — in KurrentDB (all else stays embedded).
  const events =
    deps.eventStore?.EVENT_STORE === 'kurrentdb'
      ? await openEventStore(deps.eventStore, store.sql).catch(async (error: unknown) => {
          await store.close(); // nothing started yet: the embedded database is closed before the error goes on
          throw error;
        })
      : store;
  const keys = await LocalKeys.loadOrCreate(deps.dataDir);
  // The bus in the same embedded database: what was published and not yet handled survives a restart.
  const bus = await PostgresEventBus.open(store.sql, {
    onError: (error, where) => deps.logger.warn({ err: error, ...where }, 'event bus operation failed, retrying'),
  });
  const masterKey = await loadOrCreateMasterKey(deps.dataDir);
  const app = await createHttpApp({
    logger: deps.logger,
    verifier: keys,
    sql: store.sql,
    idempotencySecret: idempotencySecretOf(masterKey),
    openapi: { title: 'Bürgerkoffer (embedded)', version: '0.1.0', description: 'Every service under its prefix.' },
    ...(deps.readinessGraceMs === undefined ? {} : { processorGraceMs: deps.readinessGraceMs }),
    metricsToken: deps.metricsToken,
    readiness: async () => ({
      eventStore: await events.headPosition().then(
        () => true,
        () => false,
      ),
      bus: await bus.isReachable(),
    }),
  });
  const measured = withStoreMetrics(events, app.metrics);
  app.addHook('onClose', async () => {
    if (events !== store) await events.close();
    await store.close();
  });
  app.get('/', { config: { public: true }, schema: { hide: true } }, async () => ({
    name: 'Bürgerkoffer',
    mode: 'embedded' as const,
    services: services.map((s) => s.name),
    docs: '/docs',
  }));
  // Personal data sealed per data subject; the keys live in the same embedded database, wrapped with the master key.
  app.addHook('onClose', async () => bus.close());
  const parts = systemParts({
    store: withTestFault(measured, deps.testFault),
    sql: store.sql,
    keyStore: await PostgresKeyStore.open(store.sql, masterKey),
    masterKey,
  });
  for (const definition of services) {
    await app.register(servicePlugin(definition, parts, bus), { prefix: `/${definition.name}` });
  }
  for (const s of services) {
    app.get(`/${s.name}/healthz`, { config: { public: true }, schema: { hide: true } }, async () => ({
      service: s.name,
      status: 'ok' as const,
    }));
  }
  return app;
}
