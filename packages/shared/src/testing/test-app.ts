/**
 * One test-app builder: a service from its definition, wired the way every composition root wires it
 * (runtime/service-definition.ts), on the HTTP runtime with a local signing key — over a real embedded database
 * (a new in-memory PGlite) or the database a test hands in (the PostgreSQL server), with the durable embedded bus on
 * that same database unless a test brings another. Tests of a service therefore run the wiring that production runs.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PostgresEventStore, type PostgresEventStoreOptions } from '../event-sourcing/postgres/postgres-event-store.ts';
import { pgliteSql, type Sql } from '../event-sourcing/postgres/sql.ts';
import { LocalKeys, type Role } from '../http/auth.ts';
import { idempotencySecretOf } from '../http/idempotency.ts';
import { createHttpApp, type HttpApp, type HttpAppOptions } from '../http/server.ts';
import { PostgresEventBus } from '../messaging/postgres-event-bus.ts';
import type { EventBus } from '../messaging/types.ts';
import { createLogger, type Logger } from '../observability/logger.ts';
import { PostgresKeyStore } from '../privacy/key-store.ts';
import { type ServiceDefinition, servicePlugin, systemParts } from '../runtime/service-definition.ts';

/** The kit a test's kit-device token is bound to unless it names another. */
export const TEST_KIT_ID = '00000000-0000-4000-8000-00000000c0de';
const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export interface TestAppOptions<Deps> {
  /** The database (default: a new in-memory PGlite, closed with the app). A database handed in stays open. */
  readonly sql?: Sql;
  /** Default: silent. */
  readonly logger?: Logger;
  readonly storeOptions?: PostgresEventStoreOptions;
  /** Default: random (each app its own); apps of one system share theirs. */
  readonly masterKey?: Buffer;
  /** Default: the embedded bus on the same database (for a service on the bus). */
  readonly bus?: EventBus;
  /** The signing keys (default: new ones in a temporary directory); apps of one test may share theirs. */
  readonly tokens?: LocalKeys;
  /** HTTP runtime options beside the defaults (e.g. `rateLimit: false` for a burst). */
  readonly http?: Pick<HttpAppOptions, 'rateLimit' | 'bodyLimitBytes' | 'processorGraceMs'>;
  /** Listen on a free port of 127.0.0.1, for clients that need a real connection (live feeds). */
  readonly listen?: boolean;
  /** Changes the service's dependencies before its plugin is built (e.g. casefile's feed timings). */
  readonly deps?: (deps: Deps) => Deps;
}

export interface TestApp {
  readonly app: HttpApp;
  readonly sql: Sql;
  /** The store as stored (personal fields sealed): what a test inspects to see that nothing is in clear. */
  readonly store: PostgresEventStore;
  /** The bus of a service that uses one (asking for it of another fails). */
  readonly bus: EventBus;
  readonly keyStore: PostgresKeyStore;
  readonly masterKey: Buffer;
  readonly tokens: LocalKeys;
  /** Set when listening. */
  readonly url: string | undefined;
  /** The service's write routes (`POST /cases/:caseId/services`), as registered. */
  readonly writeRoutes: readonly string[];
  /** The route that served the last request (`POST /cases/:caseId/services`). */
  lastRoute(): string | undefined;
  /** The authorization header of a caller with one role (default tenant bochum, subject `<role>-1`). */
  /** A bearer header for one role; a kit-device token is bound to `kitId` (TEST_KIT_ID unless told). */
  auth(role?: Role, tenantId?: string, subject?: string, kitId?: string): Promise<{ authorization: string }>;
  close(): Promise<void>;
}

export async function buildTestApp<Deps>(
  definition: ServiceDefinition<Deps>,
  options: TestAppOptions<Deps> = {},
): Promise<TestApp> {
  const dir = await mkdtemp(join(tmpdir(), `bk-${definition.name}-`));
  const tokens = options.tokens ?? (await LocalKeys.loadOrCreate(dir));
  const ownsSql = options.sql === undefined;
  const sql = options.sql ?? pgliteSql(await PGlite.create());
  const store = await PostgresEventStore.open(sql, { ...options.storeOptions, ownsConnection: false });
  const ownsBus = options.bus === undefined && definition.usesBus;
  const bus = options.bus ?? (definition.usesBus ? await PostgresEventBus.open(sql) : undefined);
  const masterKey = options.masterKey ?? randomBytes(32);
  const keyStore = await PostgresKeyStore.open(sql, masterKey);
  const app = await createHttpApp({
    logger: options.logger ?? createLogger({ service: definition.name, level: 'silent' }),
    verifier: tokens,
    sql,
    openapi: { title: definition.title, version: 'test' },
    idempotencySecret: idempotencySecretOf(masterKey),
    ...options.http,
  });
  const parts = systemParts({ store, sql, keyStore, masterKey });
  // The service's write routes, and the route each request was served by (for apiSpecification).
  const writeRoutes: string[] = [];
  let lastRoute: string | undefined;
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) {
      if (WRITES.has(method)) writeRoutes.push(`${method} ${route.url}`);
    }
  });
  app.addHook('onRequest', async (request) => {
    lastRoute = `${request.method} ${request.routeOptions.url ?? request.url}`;
  });
  await app.register(servicePlugin(definition, parts, bus, options.deps));
  let url: string | undefined;
  if (options.listen) {
    await app.listen({ port: 0, host: '127.0.0.1' });
    const address = app.server.address();
    url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  } else {
    await app.ready();
  }
  return {
    app,
    sql,
    store,
    get bus(): EventBus {
      if (!bus) throw new Error(`the ${definition.name} service does not use the bus`);
      return bus;
    },
    keyStore,
    masterKey,
    tokens,
    url,
    writeRoutes,
    lastRoute: () => lastRoute,
    auth: async (role = 'intake-agent', tenantId = 'bochum', subject = `${role}-1`, kitId = TEST_KIT_ID) => ({
      authorization: `Bearer ${await tokens.sign({
        subject,
        tenantId,
        roles: [role],
        ...(role === 'kit-device' ? { kitId } : {}),
      })}`,
    }),
    close: async () => {
      await app.close();
      if (ownsBus) await bus?.close();
      await store.close();
      if (ownsSql) await sql.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
