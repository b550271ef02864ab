import { PGlite } from '@electric-sql/pglite';
import { describe, expect, it } from 'vitest';
import { useTestDatabase } from '../../testing/postgres.ts';
import { describeWith } from '../../testing/requirements.ts';
import { eventStoreContract } from '../event-store.contract.ts';
import { ensureSchema } from './migrations.ts';
import { PostgresCheckpointStore, PostgresEventStore } from './postgres-event-store.ts';
import { pgliteSql, pgSql } from './sql.ts';

describe('PostgreSQL adapter on PGlite (embedded, in memory)', () => {
  eventStoreContract('PGlite', async () => {
    const sql = pgliteSql(await PGlite.create());
    const store = await PostgresEventStore.open(sql, { pollIntervalMs: 200 });
    return { store, checkpoints: new PostgresCheckpointStore(sql), close: () => store.close() };
  });
});

describeWith('postgres', 'PostgreSQL adapter on the PostgreSQL server', (serverUrl) => {
  const db = useTestDatabase(serverUrl);

  describe('several services starting at once on a fresh database', () => {
    const fresh = useTestDatabase(serverUrl);
    it('migrate it once, without racing each other', async () => {
      const stores = await Promise.all(
        Array.from({ length: 6 }, () => PostgresEventStore.open(pgSql({ connectionString: fresh.url, max: 2 }))),
      );
      await Promise.all(stores.map((store) => store.close()));
      const sql = pgSql(fresh.url);
      expect(await sql.query('select version from es_migrations')).toEqual([{ version: 1 }]);
      // Their own tables too (a key store, a projection): created once, under the same lock.
      const sqls = Array.from({ length: 6 }, () => pgSql({ connectionString: fresh.url, max: 2 }));
      await Promise.all(
        sqls.map((each) => ensureSchema(each, 'create table if not exists svc_projection (id int primary key)')),
      );
      await Promise.all(sqls.map((each) => each.close()));
      expect(await sql.query(`select count(*)::int as n from pg_tables where tablename = 'svc_projection'`)).toEqual([
        { n: 1 },
      ]);
      await sql.close();
    });
  });

  eventStoreContract('PostgreSQL server', async () => {
    const sql = pgSql({ connectionString: db.url, max: 20 });
    const store = await PostgresEventStore.open(sql, { pollIntervalMs: 200 });
    return { store, checkpoints: new PostgresCheckpointStore(sql), close: () => store.close() };
  });
});
