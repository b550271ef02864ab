import { PGlite } from '@electric-sql/pglite';
import { describe } from 'vitest';
import { useTestDatabase } from '../../testing/postgres.ts';
import { describeWith } from '../../testing/requirements.ts';
import { eventStoreContract } from '../event-store.contract.ts';
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
  eventStoreContract('PostgreSQL server', async () => {
    const sql = pgSql({ connectionString: db.url, max: 20 });
    const store = await PostgresEventStore.open(sql, { pollIntervalMs: 200 });
    return { store, checkpoints: new PostgresCheckpointStore(sql), close: () => store.close() };
  });
});
