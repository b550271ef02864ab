/** Batched projections on the real engines: pages in one transaction, exactly once, and rebuild = live. */
import { PGlite } from '@electric-sql/pglite';
import { describe, expect, it } from 'vitest';
import { useTestDatabase } from '../testing/postgres.ts';
import { describeWith } from '../testing/requirements.ts';
import { uuidv7 } from './ids.ts';
import { PostgresEventStore } from './postgres/postgres-event-store.ts';
import { pgliteSql, pgSql, type Sql } from './postgres/sql.ts';
import { applyPage, type BoundProjection, type Projection, rebuildProjections, startProjection } from './projection.ts';
import type { StoredEvent } from './types.ts';

/** One row per tally: how many items, and the positions applied (a repeated event would show twice). */
interface TallyRow {
  readonly tally_id: string;
  readonly items: number;
  readonly status: string;
  readonly positions: readonly number[];
}

let suffix = 0;

/** A fresh projection (own table, checkpoint and stream category), so the tests of one database stay apart. */
function tallies(store: PostgresEventStore, sql: Sql) {
  const n = ++suffix;
  let failOn: string | undefined;
  const table = `test_tallies_${n}`;
  const category = `tally${n}`;
  const projection: Projection<TallyRow> = {
    name: `test:tallies-${n}`,
    schema: `create table if not exists ${table} (
      tally_id text primary key, items integer not null, status text not null, positions jsonb not null)`,
    table: { name: table, key: 'tally_id', columns: ['tally_id', 'items', 'status', 'positions'] },
    filter: { streamCategories: [category] },
    keyOf: (event) => event.stream.slice(category.length + 1),
    apply(row, event) {
      const base = row ?? {
        tally_id: event.stream.slice(category.length + 1),
        items: 0,
        status: 'open',
        positions: [],
      };
      const positions = [...base.positions, event.position];
      switch (event.type) {
        case 'ItemCounted':
          // A null count violates the table's constraint: the page's transaction fails.
          return { ...base, items: event.id === failOn ? (null as unknown as number) : base.items + 1, positions };
        case 'TallyClosed':
          return { ...base, status: 'closed', positions };
        case 'TallyDiscarded':
          return undefined;
        default:
          return row;
      }
    },
  };
  const bound: BoundProjection = { projection, store, sql };
  const append = (tally: string, types: readonly string[], ids: readonly string[] = []) =>
    store.append(
      `${category}-${tally}`,
      types.map((type, i) => ({ id: ids[i] ?? uuidv7(), type, data: { tally }, metadata: { tenantId: 't' } })),
    );
  const rows = async () =>
    (await sql.query<{ row: TallyRow }>(`select to_jsonb(t) as row from ${table} t order by tally_id`)).map(
      (r) => r.row,
    );
  const checkpoint = async () =>
    Number(
      (
        await sql.query<{ position: number | string }>('select position from es_checkpoints where subscriber_id = $1', [
          projection.name,
        ])
      )[0]?.position ?? -1,
    );
  const events = () => store.readAll({ filter: projection.filter, limit: 100_000 });
  const caughtUp = async () => {
    const last = (await events()).at(-1)?.position ?? 0;
    for (const deadline = Date.now() + 60_000; Date.now() < deadline; ) {
      if ((await checkpoint()) >= last) return;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    throw new Error(`${projection.name} did not catch up to ${last}`);
  };
  const failOnEvent = (id: string | undefined) => {
    failOn = id;
  };
  return { bound, projection, append, rows, checkpoint, events, caughtUp, failOnEvent };
}

/** What applying every event once gives, from the events themselves. */
function expectedRows(events: readonly StoredEvent[]): Record<string, unknown>[] {
  const byTally = new Map<string, { items: number; status: string; positions: number[] } | undefined>();
  for (const event of events) {
    const tally = event.stream.slice(event.stream.indexOf('-') + 1);
    const row = byTally.get(tally) ?? { items: 0, status: 'open', positions: [] };
    if (event.type === 'TallyDiscarded') byTally.set(tally, undefined);
    else
      byTally.set(tally, {
        items: row.items + (event.type === 'ItemCounted' ? 1 : 0),
        status: event.type === 'TallyClosed' ? 'closed' : row.status,
        positions: [...row.positions, event.position],
      });
  }
  return [...byTally]
    .filter((entry): entry is [string, { items: number; status: string; positions: number[] }] => !!entry[1])
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([tally, row]) => ({ tally_id: tally, ...row }));
}

function projectionSuite(open: () => Promise<{ store: PostgresEventStore; sql: Sql }>) {
  it('writes a page’s rows and its checkpoint together: a failed page moves neither, a repeated one nothing', async () => {
    const { store, sql } = await open();
    const t = tallies(store, sql);
    await sql.exec(t.projection.schema);
    await t.append('a', ['ItemCounted', 'ItemCounted']);
    await t.append('b', ['ItemCounted', 'TallyClosed']);
    const first = await t.events();
    expect(await applyPage(t.bound, first, 0)).toMatchObject({ status: 'applied', events: 4 });
    expect(await t.checkpoint()).toBe(first.at(-1)?.position);
    const before = await t.rows();
    expect(before).toEqual(expectedRows(first));

    // A page that fails half-way (a row the table refuses): no row of it and no checkpoint are stored.
    await t.append('a', ['ItemCounted']);
    await t.append('c', ['ItemCounted']);
    const page = (await t.events()).filter((e) => e.position > (first.at(-1)?.position ?? 0));
    t.failOnEvent(page[1]?.id);
    await expect(applyPage(t.bound, page, first.at(-1)?.position ?? 0)).rejects.toThrow();
    expect(await t.rows()).toEqual(before);
    expect(await t.checkpoint()).toBe(first.at(-1)?.position);
    t.failOnEvent(undefined);

    // Delivered again (a crash after the commit, a second replica): applied once.
    expect(await applyPage(t.bound, await t.events(), 0)).toMatchObject({ status: 'applied', events: 2 });
    expect(await applyPage(t.bound, await t.events(), 0)).toMatchObject({ status: 'applied', events: 0 });
    expect(await t.rows()).toEqual(expectedRows(await t.events()));
    await store.close();
  });

  it('refuses a page that starts above the stored checkpoint (it was reset): nothing is skipped', async () => {
    const { store, sql } = await open();
    const t = tallies(store, sql);
    await sql.exec(t.projection.schema);
    await t.append('a', ['ItemCounted', 'ItemCounted', 'ItemCounted']);
    const all = await t.events();
    const [, second, third] = all;
    expect(await applyPage(t.bound, [third as StoredEvent], second?.position ?? 0)).toEqual({
      status: 'behind',
      position: 0,
    });
    expect(await t.rows()).toEqual([]);
    await store.close();
  });

  it('applies every event exactly once with two runners live on the same projection', async () => {
    const { store, sql } = await open();
    const t = tallies(store, sql);
    const runners = await Promise.all([
      startProjection(t.bound, { pageSize: 7 }),
      startProjection(t.bound, { pageSize: 5 }),
    ]);
    for (let round = 0; round < 12; round++) {
      await Promise.all(
        ['a', 'b', 'c', 'd'].map((tally, i) =>
          t.append(tally, round === 11 && i === 3 ? ['TallyDiscarded'] : ['ItemCounted', 'ItemCounted']),
        ),
      );
    }
    await t.caughtUp();
    await Promise.all(runners.map((runner) => runner.stop()));
    expect(await t.rows()).toEqual(expectedRows(await t.events()));
    expect((await t.rows()).map((row) => row.tally_id)).toEqual(['a', 'b', 'c']);
    await store.close();
  });

  it('rebuilds to the rows live operation reached; a runner live beside it starts over and misses nothing', async () => {
    const { store, sql } = await open();
    const t = tallies(store, sql);
    const live = await startProjection(t.bound, { pageSize: 10 });
    for (let i = 0; i < 30; i++) await t.append(`n${i % 7}`, i % 9 === 8 ? ['TallyClosed'] : ['ItemCounted']);
    await t.caughtUp();
    const liveRows = await t.rows();
    expect(liveRows).toEqual(expectedRows(await t.events()));

    const progress: number[] = [];
    const result = await rebuildProjections([t.bound], {
      pageSize: 4,
      onProgress: (p) => progress.push(p.position),
    });
    expect(result.events).toBe(30);
    expect(result.projections).toEqual([{ name: t.projection.name, events: 30, seconds: expect.any(Number) }]);
    expect(progress.at(-1)).toBe(await store.headPosition());
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    await t.caughtUp();
    expect(await t.rows()).toEqual(liveRows);

    // The live runner saw its checkpoint reset: it starts over from it, and new events still arrive exactly once.
    for (let i = 0; i < 5; i++) await t.append(`n${i}`, ['ItemCounted']);
    await t.caughtUp();
    expect(await t.rows()).toEqual(expectedRows(await t.events()));
    await live.stop();
    await store.close();
  });

  it('starts over when its checkpoint was reset under it (a rebuild began), instead of skipping to where it was', async () => {
    const { store, sql } = await open();
    const t = tallies(store, sql);
    const live = await startProjection(t.bound, { pageSize: 3 });
    for (let i = 0; i < 8; i++) await t.append(`n${i % 3}`, ['ItemCounted']);
    await t.caughtUp();
    // What a rebuild does first, without its replay: the live runner alone must bring the rows back.
    await sql.query('update es_checkpoints set position = 0 where subscriber_id = $1', [t.projection.name]);
    await sql.exec(`truncate ${t.projection.table.name}`);
    await t.append('n0', ['TallyClosed']);
    await t.caughtUp();
    expect(await t.rows()).toEqual(expectedRows(await t.events()));
    await live.stop();
    await store.close();
  });

  it('reports a failure and starts over from its checkpoint until the page goes through, losing nothing', async () => {
    const { store, sql } = await open();
    const t = tallies(store, sql);
    const failures: number[] = [];
    const live = await startProjection(t.bound, {
      onError: (_error, attempt) => failures.push(attempt),
      retryMs: [20, 50],
    });
    await t.append('a', ['ItemCounted']);
    await t.caughtUp();
    const poison = uuidv7();
    t.failOnEvent(poison); // e.g. the database refusing the page, again and again
    await t.append('a', ['ItemCounted'], [poison]);
    await expect.poll(() => failures.length, { timeout: 5_000 }).toBeGreaterThanOrEqual(2);
    expect(failures.slice(0, 2)).toEqual([1, 2]);
    t.failOnEvent(undefined); // the cause is gone: the projection catches up on its own
    await t.append('a', ['TallyClosed']);
    await t.caughtUp();
    expect(await t.rows()).toEqual(expectedRows(await t.events()));
    await live.stop();
    await store.close();
  });

  it('resumes after a stop exactly where it stopped', async () => {
    const { store, sql } = await open();
    const t = tallies(store, sql);
    const first = await startProjection(t.bound);
    await t.append('a', ['ItemCounted']);
    await t.caughtUp();
    await first.stop();
    await t.append('a', ['ItemCounted', 'TallyClosed']);
    const second = await startProjection(t.bound);
    await second.caughtUp;
    expect(await t.rows()).toEqual(expectedRows(await t.events()));
    await second.stop();
    await store.close();
  });
}

describe('projections on PGlite (embedded, in memory)', () => {
  projectionSuite(async () => {
    const sql = pgliteSql(await PGlite.create());
    return { sql, store: await PostgresEventStore.open(sql, { pollIntervalMs: 50 }) };
  });
});

describeWith('postgres', 'projections on the PostgreSQL server', (serverUrl) => {
  const db = useTestDatabase(serverUrl);
  projectionSuite(async () => {
    const sql = pgSql(db.url);
    return { sql, store: await PostgresEventStore.open(sql, { pollIntervalMs: 50 }) };
  });
});
