/**
 * The gap problem of sequence-ordered tables: a slow transaction draws position n, a fast one n+1 and commits first;
 * a reader that saw n+1 and moved its checkpoint past it never sees n. es_append draws positions under a lock held
 * until commit, so positions become visible in order. This test interleaves a slow and fast transactions on the
 * PostgreSQL server (PGlite runs one statement at a time, so it cannot interleave) and, as a control, shows that
 * the same scenario does lose the slow event once the lock is taken out of es_append.
 */
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { useTestDatabase } from '../../testing/postgres.ts';
import { describeWith } from '../../testing/requirements.ts';
import { event, freshCategory } from '../event-store.contract.ts';
import { contentHash } from '../hashing.ts';
import type { StoredEvent } from '../types.ts';
import { migrations } from './migrations.ts';
import { PostgresEventStore } from './postgres-event-store.ts';
import { pgSql } from './sql.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The payload es_append takes, for a raw client that calls it inside a transaction of its own. */
function payloadOf(stream: string, events: ReturnType<typeof event>[]): string {
  const recordedAt = new Date();
  return JSON.stringify(
    events.map((e) => ({
      id: e.id,
      type: e.type,
      schemaVersion: 1,
      recordedAt: recordedAt.toISOString(),
      data: e.data,
      metadata: e.metadata,
      contentHash: contentHash({
        stream,
        id: e.id,
        type: e.type,
        schemaVersion: 1,
        recordedAt,
        data: e.data,
        metadata: e.metadata,
      }).toString('hex'),
    })),
  );
}

async function interleave(
  url: string,
): Promise<{ seen: StoredEvent[]; slowPosition: number; fastPositions: number[] }> {
  const store = await PostgresEventStore.open(pgSql({ connectionString: url, max: 8 }), { pollIntervalMs: 100 });
  const category = freshCategory('gap');
  const seen: StoredEvent[] = [];
  const subscription = store.subscribe({ from: 'end', filter: { streamCategories: [category] } }, (e) => {
    seen.push(e);
  });
  await subscription.caughtUp;

  // The slow writer: draws its position, then commits only once the fast writers have done what they can.
  const slow = new pg.Client({ connectionString: url });
  await slow.connect();
  await slow.query('begin');
  const slowStream = `${category}-slow`;
  const [slowRow] = (
    await slow.query<{ out_position: string }>('select out_position from es_append($1, null, $2::jsonb)', [
      slowStream,
      payloadOf(slowStream, [event('Slow')]),
    ])
  ).rows;
  // Fast writers start while the slow transaction is open.
  const fast = Promise.all([1, 2, 3].map((i) => store.append(`${category}-fast${i}`, [event(`Fast${i}`)])));
  let fastDone = false;
  void fast.then(() => {
    fastDone = true;
  });
  // With the commit-order lock the fast ones wait for it (three ungranted advisory locks); without it they commit
  // and the subscription delivers them. Either way, a condition — not a pause — says when to commit the slow one.
  const probe = new pg.Client({ connectionString: url });
  await probe.connect();
  for (const deadline = Date.now() + 60_000; ; ) {
    if (fastDone && seen.length >= 3) break;
    const { rows } = await probe.query<{ waiting: string }>(
      `select count(*) as waiting from pg_locks
        where locktype = 'advisory' and not granted
          and database = (select oid from pg_database where datname = current_database())`,
    );
    if (Number(rows[0]?.waiting) >= 3) break;
    if (Date.now() > deadline) throw new Error('the fast writers neither waited nor committed');
    await sleep(20);
  }
  await probe.end();
  await slow.query('commit');
  await slow.end();
  const fastResults = await fast;

  // A marker after everything: once the subscription delivered it, it has passed every earlier position — what it
  // has not delivered by then it never will.
  const marker = await store.append(`${category}-marker`, [event('Marker')]);
  for (const deadline = Date.now() + 60_000; !seen.some((e) => e.position === marker.position); ) {
    if (Date.now() > deadline) throw new Error('the subscription never reached the marker');
    await sleep(20);
  }
  seen.splice(
    seen.findIndex((e) => e.position === marker.position),
    1,
  );
  await subscription.stop();
  await store.close();
  return { seen, slowPosition: Number(slowRow?.out_position), fastPositions: fastResults.map((r) => r.position) };
}

describeWith('postgres', 'commit order on the PostgreSQL server', (serverUrl) => {
  describe('a slow transaction and fast ones appending at the same time', () => {
    const db = useTestDatabase(serverUrl);

    it('become visible in position order, so a subscription delivers every event, none skipped', async () => {
      const { seen, slowPosition, fastPositions } = await interleave(db.url);
      expect(seen.map((e) => e.type).sort()).toEqual(['Fast1', 'Fast2', 'Fast3', 'Slow']);
      expect(seen[0]?.type).toBe('Slow');
      expect(fastPositions.every((p) => p > slowPosition)).toBe(true);
      const positions = seen.map((e) => e.position);
      expect(positions).toEqual([...positions].sort((a, b) => a - b));
    });
  });

  describe('control: the same scenario with the commit-order lock taken out of es_append', () => {
    const db = useTestDatabase(serverUrl);

    it('loses the slow event, which shows the test above detects the gap problem', async () => {
      await PostgresEventStore.open(pgSql(db.url)).then((s) => s.close()); // migrate
      const migration = migrations[0]?.sql ?? '';
      const from = migration.indexOf('create function es_append');
      const withoutLock = migration
        .slice(from, migration.indexOf('$fn$;', from) + '$fn$;'.length)
        .replace('create function', 'create or replace function')
        .replace(/perform pg_advisory_xact_lock\(\d+\);/, '');
      expect(withoutLock).not.toContain('pg_advisory_xact_lock');
      const admin = new pg.Client({ connectionString: db.url });
      await admin.connect();
      await admin.query(withoutLock);
      await admin.end();

      const { seen, slowPosition, fastPositions } = await interleave(db.url);
      expect(fastPositions.every((p) => p > slowPosition)).toBe(true);
      // Without the lock the slow event is lost for good (and, depending on timing, a fast one may be too).
      const types = seen.map((e) => e.type);
      expect(types).not.toContain('Slow');
      expect(types.length).toBeLessThan(4);
    });
  });
});
