/** Tamper evidence: an event altered, relinked or removed directly in the database is reported by verifyStream. */
import { PGlite } from '@electric-sql/pglite';
import { describe, expect, it } from 'vitest';
import { useTestDatabase } from '../../testing/postgres.ts';
import { describeWith } from '../../testing/requirements.ts';
import { event, freshCategory } from '../event-store.contract.ts';
import { verifyStream } from '../hashing.ts';
import { PostgresEventStore } from './postgres-event-store.ts';
import { pgliteSql, pgSql, type Sql } from './sql.ts';

function tamperSuite(open: () => Promise<{ store: PostgresEventStore; sql: Sql }>) {
  const appendThree = async (store: PostgresEventStore) => {
    const stream = `${freshCategory('ledger')}-1`;
    await store.append(stream, [
      event('Paid', { amount: 37 }),
      event('Paid', { amount: 22.8 }),
      event('Paid', { amount: 10 }),
    ]);
    return stream;
  };

  it('names the event whose data was changed in the table', async () => {
    const { store, sql } = await open();
    const stream = await appendThree(store);
    expect((await verifyStream(store, stream)).ok).toBe(true);
    await sql.query(
      `update es_events set data = jsonb_set(data, '{amount}', '999') where stream = $1 and revision = 1`,
      [stream],
    );
    const result = await verifyStream(store, stream);
    expect(result).toMatchObject({ ok: false, reason: 'content-altered', brokenAt: { revision: 1 } });
    await store.close();
  });

  it('names the event whose metadata or type was changed', async () => {
    const { store, sql } = await open();
    const stream = await appendThree(store);
    await sql.query(
      `update es_events set metadata = metadata || '{"actor":{"id":"x","role":"admin"}}' where stream = $1 and revision = 2`,
      [stream],
    );
    expect(await verifyStream(store, stream)).toMatchObject({ ok: false, brokenAt: { revision: 2 } });
    await store.close();
  });

  it('names the first event after one that was removed', async () => {
    const { store, sql } = await open();
    const stream = await appendThree(store);
    await sql.query(
      'delete from es_case_events where position in (select position from es_events where stream = $1 and revision = 1)',
      [stream],
    );
    await sql.query('delete from es_events where stream = $1 and revision = 1', [stream]);
    expect(await verifyStream(store, stream)).toMatchObject({
      ok: false,
      reason: 'revision-gap',
      brokenAt: { revision: 2 },
    });
    await store.close();
  });

  it('reports a stream whose first events were removed without retention explaining it', async () => {
    const { store, sql } = await open();
    const stream = await appendThree(store);
    await sql.query('delete from es_events where stream = $1 and revision = 0', [stream]);
    expect(await verifyStream(store, stream)).toMatchObject({
      ok: false,
      reason: 'revision-gap',
      brokenAt: { revision: 1 },
    });
    await store.setStreamMetadata(stream, { truncateBefore: 1 });
    expect(await verifyStream(store, stream)).toMatchObject({ ok: true, events: 2 });
    await store.close();
  });

  it('names the event whose link to its predecessor was rewritten with a matching hash', async () => {
    const { store, sql } = await open();
    const stream = await appendThree(store);
    // An attacker who rewrites event 1's data and recomputes its own hash still breaks event 2's link.
    await sql.query(
      `update es_events set prev_hash = sha256('forged'::bytea),
         hash = sha256(sha256('forged'::bytea) || content_hash || int8send(revision)) where stream = $1 and revision = 1`,
      [stream],
    );
    expect(await verifyStream(store, stream)).toMatchObject({
      ok: false,
      reason: 'chain-broken',
      brokenAt: { revision: 1 },
    });
    await store.close();
  });
}

describe('tamper evidence on PGlite', () => {
  tamperSuite(async () => {
    const sql = pgliteSql(await PGlite.create());
    return { store: await PostgresEventStore.open(sql), sql };
  });
});

describeWith('postgres', 'tamper evidence on the PostgreSQL server', (serverUrl) => {
  const db = useTestDatabase(serverUrl);
  tamperSuite(async () => {
    const sql = pgSql(db.url);
    return { store: await PostgresEventStore.open(sql), sql };
  });
});
