/**
 * Live delivery rides on LISTEN/NOTIFY, not on polling: with the fallback poll set to a minute, a new event still
 * reaches a caught-up subscription at once. (The fallback exists for lost notifications, e.g. a dropped connection.)
 */
import { PGlite } from '@electric-sql/pglite';
import { describe, expect, it } from 'vitest';
import { useTestDatabase } from '../../testing/postgres.ts';
import { describeWith } from '../../testing/requirements.ts';
import { event, freshCategory } from '../event-store.contract.ts';
import type { StoredEvent } from '../types.ts';
import { PostgresEventStore } from './postgres-event-store.ts';
import { pgliteSql, pgSql } from './sql.ts';

function liveSuite(open: () => Promise<PostgresEventStore>) {
  it('delivers a new event to a caught-up subscription by notification, long before the fallback poll', async () => {
    const store = await open();
    const category = freshCategory('live');
    const seen: StoredEvent[] = [];
    const subscription = store.subscribe({ from: 'end', filter: { streamCategories: [category] } }, (e) => {
      seen.push(e);
    });
    await subscription.caughtUp;
    await new Promise((resolve) => setTimeout(resolve, 200)); // the subscription now waits on its wake-up
    const started = Date.now();
    await store.append(`${category}-1`, [event('Live')]);
    while (seen.length === 0 && Date.now() - started < 30_000) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(seen.map((e) => e.type)).toEqual(['Live']);
    // The fallback poll is 60 s here: a quarter of it still tells a notification from a poll on any machine.
    expect(Date.now() - started).toBeLessThan(15_000);
    await subscription.stop();
    await store.close();
  });
}

describe('live delivery on PGlite', () => {
  liveSuite(async () => PostgresEventStore.open(pgliteSql(await PGlite.create()), { pollIntervalMs: 60_000 }));
});

describeWith('postgres', 'live delivery on the PostgreSQL server', (serverUrl) => {
  const db = useTestDatabase(serverUrl);
  liveSuite(() => PostgresEventStore.open(pgSql(db.url), { pollIntervalMs: 60_000 }));
});
