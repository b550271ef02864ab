/**
 * Live delivery rides on LISTEN/NOTIFY, not on polling: with the fallback poll set to a minute, a new event still
 * reaches a caught-up subscription at once. (The fallback exists for lost notifications, e.g. a dropped connection.)
 * A notification names the position it announces, so a woken subscription does not ask the store for its head, and
 * the subscriptions of a process that keep up share one read of the newest events (tail-window.ts).
 */
import { PGlite } from '@electric-sql/pglite';
import { describe, expect, it } from 'vitest';
import { useTestDatabase } from '../../testing/postgres.ts';
import { describeWith } from '../../testing/requirements.ts';
import { event, freshCategory } from '../event-store.contract.ts';
import type { EventFilter, StoredEvent, Subscription } from '../types.ts';
import { PostgresEventStore } from './postgres-event-store.ts';
import { pgliteSql, pgSql, type Sql } from './sql.ts';

/** The statements a store sends, by what they are (the subscriptions' reads and head lookups). */
function counted(sql: Sql) {
  const counts = { tailReads: 0, headReads: 0 };
  const wrapped: Sql = {
    ...sql,
    query: (text, params) => {
      if (text.includes('e.position > $1 and e.position <= $2')) counts.tailReads++;
      if (text.includes('max(position) as head')) counts.headReads++;
      return sql.query(text, params);
    },
  };
  return { sql: wrapped, counts };
}

const until = async (check: () => boolean, what: string) => {
  const deadline = Date.now() + 60_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
};

function liveSuite(open: (sql?: (sql: Sql) => Sql) => Promise<PostgresEventStore>) {
  it('shares one read of each new event among all caught-up subscriptions, with the head from the notification', async () => {
    let counts = { tailReads: 0, headReads: 0 };
    const store = await open((sql) => {
      const wrapped = counted(sql);
      counts = wrapped.counts;
      return wrapped.sql;
    });
    const a = freshCategory('shareA');
    const b = freshCategory('shareB');
    const filters: EventFilter[] = [
      {},
      { streamCategories: [a] },
      { streamCategories: [b] },
      { eventTypePrefixes: ['Odd'] },
      { tenantIds: ['tenant-other'] },
      { streamCategories: [a, b], eventTypePrefixes: ['Even'], tenantIds: ['tenant-a'] },
    ];
    const seen = filters.map(() => [] as StoredEvent[]);
    const subscriptions: Subscription[] = filters.map((filter, index) =>
      store.subscribe({ from: 'end', filter }, (e) => {
        seen[index]?.push(e);
      }),
    );
    await Promise.all(subscriptions.map((subscription) => subscription.caughtUp));
    const from = await store.headPosition();
    counts.tailReads = 0;
    counts.headReads = 0;
    const appends = 12;
    for (let i = 0; i < appends; i++) {
      await store.append(`${i % 2 ? a : b}-${i % 3}`, [
        event(i % 2 ? 'Odd' : 'Even', { i }, i % 4 === 0 ? { tenantId: 'tenant-other' } : {}),
      ]);
      // Each append its own wake-up: every subscription has seen it before the next (the unfiltered one sees all).
      await until(() => (seen[0]?.length ?? 0) > i, `event ${i}`);
      await until(() => subscriptions.every((s) => s.position >= (seen[0]?.at(-1)?.position ?? 0)), `all at ${i}`);
    }
    // Each subscription got exactly what the store's own filter answers, in order.
    for (const [index, filter] of filters.entries()) {
      const expected = await store.readAll({ afterPosition: from, filter });
      expect(seen[index]?.map((e) => e.position)).toEqual(expected.map((e) => e.position));
    }
    expect(seen[0]).toHaveLength(appends);
    // Six subscriptions, twelve appends: at most one read per append (not one per subscription and append), and no
    // head lookup at all — a race can only merge reads, never add one.
    expect(counts.tailReads).toBeGreaterThan(0);
    expect(counts.tailReads).toBeLessThanOrEqual(appends);
    expect(counts.headReads).toBe(0);
    await Promise.all(subscriptions.map((subscription) => subscription.stop()));
    await store.close();
  });

  it('delivers every event once, in order, to a subscription catching up through the window the others keep', async () => {
    const store = await open();
    const a = freshCategory('catchA');
    const b = freshCategory('catchB');
    const from = await store.headPosition();
    // More than the window holds (1,000), in pages, before anyone follows.
    for (let page = 0; page < 13; page++) {
      await store.append(
        `${page % 2 ? a : b}-${page}`,
        Array.from({ length: 100 }, (_, i) => event(i % 2 ? 'Odd' : 'Even', { page, i })),
      );
    }
    const live: StoredEvent[] = [];
    const keeping = store.subscribe({ from: 'end' }, (e) => {
      live.push(e);
    });
    await keeping.caughtUp;
    const late: StoredEvent[] = [];
    const catching = store.subscribe({ from, filter: { streamCategories: [a] }, batchSize: 70 }, (e) => {
      late.push(e);
    });
    // Appends go on while it catches up, so the window moves under it.
    for (let i = 0; i < 30; i++) await store.append(`${i % 2 ? a : b}-live${i}`, [event('Odd', { i }), event('Even')]);
    const expected = await store.readAll({ afterPosition: from, filter: { streamCategories: [a] }, limit: 100_000 });
    await until(() => late.length >= expected.length, 'the late subscription to catch up');
    await until(() => live.length >= 60, 'the live subscription');
    expect(late.map((e) => e.position)).toEqual(expected.map((e) => e.position));
    expect(live).toHaveLength(60);
    await Promise.all([keeping.stop(), catching.stop()]);
    await store.close();
  });

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
  liveSuite(async (wrap = (sql) => sql) =>
    PostgresEventStore.open(wrap(pgliteSql(await PGlite.create())), { pollIntervalMs: 60_000 }),
  );
});

describeWith('postgres', 'live delivery on the PostgreSQL server', (serverUrl) => {
  const db = useTestDatabase(serverUrl);
  liveSuite(async (wrap = (sql) => sql) => PostgresEventStore.open(wrap(pgSql(db.url)), { pollIntervalMs: 60_000 }));
});
