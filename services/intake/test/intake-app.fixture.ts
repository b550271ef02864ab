/** The intake service on an embedded store and bus, with a local signing key: for route tests. */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PostgresCheckpointStore, PostgresEventStore, pgliteSql } from '@buergerkoffer/shared/event-sourcing';
import { createHttpApp, LocalKeys, type Role } from '@buergerkoffer/shared/http';
import { PostgresEventBus } from '@buergerkoffer/shared/messaging';
import { createLogger } from '@buergerkoffer/shared/observability';
import { PersonalDataStore, PostgresKeyStore } from '@buergerkoffer/shared/privacy';
import { PGlite } from '@electric-sql/pglite';
import { buildService, personalData } from '../src/service.ts';

export async function intakeApp() {
  const dir = await mkdtemp(join(tmpdir(), 'bk-intake-'));
  const keys = await LocalKeys.loadOrCreate(dir);
  const sql = pgliteSql(await PGlite.create());
  const store = await PostgresEventStore.open(sql);
  const bus = await PostgresEventBus.open(sql);
  const app = await createHttpApp({
    logger: createLogger({ service: 'intake', level: 'silent' }),
    verifier: keys,
    sql,
    openapi: { title: 'intake', version: '1' },
  });
  await app.register(
    buildService({
      store: new PersonalDataStore(store, await PostgresKeyStore.open(sql, randomBytes(32)), personalData),
      sql,
      checkpoints: new PostgresCheckpointStore(sql),
      duplicateSecret: randomBytes(32),
      now: () => new Date(),
      relay: { sealedStore: store, bus },
    }),
  );
  await app.ready();
  return {
    app,
    sql,
    store,
    bus,
    auth: async (role: Role = 'intake-agent', tenantId = 'bochum') => ({
      authorization: `Bearer ${await keys.sign({ subject: `${role}-1`, tenantId, roles: [role] })}`,
    }),
    close: async () => {
      await app.close();
      await bus.close();
      await sql.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
