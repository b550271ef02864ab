import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import * as casefile from '@buergerkoffer/casefile/service';
import * as eligibility from '@buergerkoffer/eligibility/service';
import * as fieldkit from '@buergerkoffer/fieldkit/service';
import * as intake from '@buergerkoffer/intake/service';
import * as scheduling from '@buergerkoffer/scheduling/service';
import { PostgresEventStore } from '@buergerkoffer/shared/event-sourcing';
import { createHttpApp, LocalKeys } from '@buergerkoffer/shared/http';
import { PostgresEventBus } from '@buergerkoffer/shared/messaging';
import { type Logger, withStoreMetrics } from '@buergerkoffer/shared/observability';
import { PostgresKeyStore } from '@buergerkoffer/shared/privacy';
import { loadOrCreateMasterKey } from './master-key.ts';
import { eligibilityDeps, intakeDeps, type SystemParts } from './service-deps.ts';
import { type TestFault, withTestFault } from './test-fault.ts';

export const services = [intake, eligibility, scheduling, fieldkit, casefile] as const;

export interface EmbeddedDeps {
  logger: Logger;
  dataDir: string;
  /** How long a processor or consumer may keep failing before /readyz answers 503 (ms, default 30,000). */
  readinessGraceMs?: number;
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
  const keys = await LocalKeys.loadOrCreate(deps.dataDir);
  // The bus in the same embedded database: what was published and not yet handled survives a restart.
  const bus = await PostgresEventBus.open(store.sql, {
    onError: (error, where) => deps.logger.warn({ err: error, ...where }, 'event bus operation failed, retrying'),
  });
  const app = await createHttpApp({
    logger: deps.logger,
    verifier: keys,
    sql: store.sql,
    openapi: { title: 'Bürgerkoffer (embedded)', version: '0.1.0', description: 'Every service under its prefix.' },
    ...(deps.readinessGraceMs === undefined ? {} : { processorGraceMs: deps.readinessGraceMs }),
    readiness: async () => ({
      eventStore: await store.headPosition().then(
        () => true,
        () => false,
      ),
      bus: await bus.isReachable(),
    }),
  });
  const measured = withStoreMetrics(store, app.metrics);
  app.addHook('onClose', async () => store.close());
  app.get('/', { config: { public: true }, schema: { hide: true } }, async () => ({
    name: 'Bürgerkoffer',
    mode: 'embedded' as const,
    services: services.map((s) => s.name),
    docs: '/docs',
  }));
  // Personal data sealed per data subject; the keys live in the same embedded database, wrapped with the master key.
  app.addHook('onClose', async () => bus.close());
  const masterKey = await loadOrCreateMasterKey(deps.dataDir);
  const keyStore = await PostgresKeyStore.open(store.sql, masterKey);
  const now = () => new Date();
  const parts: SystemParts = { store: measured, sql: store.sql, keyStore, masterKey, now };
  const intakeParts = { ...parts, store: withTestFault(measured, deps.testFault) };
  await app.register(intake.buildService(intakeDeps(intakeParts, bus)), { prefix: '/intake' });
  await app.register(eligibility.buildService(eligibilityDeps(parts, bus)), { prefix: '/eligibility' });
  await app.register(casefile.buildService({ store: measured, keyStore, sql: store.sql, now }), {
    prefix: '/casefile',
  });
  for (const s of [scheduling, fieldkit]) await app.register(s.buildService(), { prefix: `/${s.name}` });
  for (const s of services) {
    app.get(`/${s.name}/healthz`, { config: { public: true }, schema: { hide: true } }, async () => ({
      service: s.name,
      status: 'ok' as const,
    }));
  }
  return app;
}
