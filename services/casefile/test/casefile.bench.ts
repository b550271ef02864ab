/**
 * `pnpm bench:casefile` (read side; the rebuild benchmark is apps/embedded/src/rebuild.bench.ts): on the PostgreSQL
 * server and on PGlite, a case with 1,000 events among other cases' events, read over real HTTP as an auditor:
 *   - history (one page of 1,000, access record written first, personal data opened) — p50/p99,
 *   - time travel (state at the 500th event, folded from the history) — p50/p99,
 * each beside a raw driver baseline in the same run: the same 1,000 rows by case id through the case index.
 *   - live feed latency: append → the SSE client has the frame, beside append → a plain store subscription
 *     handler on the same appends (what the hub itself waits for).
 * Aim (issue 7): history p99 < 50 ms.
 *
 * Environment: DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres; a database of its own is created
 * and dropped), BENCH_SCALE (default 1; 0.2 for a quick look).
 */
import { PostgresEventStore, pgliteSql, pgSql, type Sql } from '@buergerkoffer/shared/event-sourcing';
import { createDatabase, openEventStream } from '@buergerkoffer/shared/testing';
import { PGlite } from '@electric-sql/pglite';
import { casefileApp, caseWriter } from './casefile.fixture.ts';

const scale = Number(process.env.BENCH_SCALE ?? '1');
const n = (count: number) => Math.max(5, Math.round(count * scale));
const serverUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

const percentile = (samples: number[], p: number) => {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
};
async function sample(count: number, work: () => Promise<void>): Promise<number[]> {
  for (let i = 0; i < Math.min(10, count); i++) await work(); // warm-up
  const samples: number[] = [];
  for (let i = 0; i < count; i++) {
    const start = performance.now();
    await work();
    samples.push(performance.now() - start);
  }
  return samples;
}
const ms = (value: number) => value.toFixed(2).padStart(8);

async function benchEngine(engine: string, sql: Sql) {
  const fx = await casefileApp(sql, { heartbeatMs: 60_000 });
  // Other cases first, so the case index (not a scan) is what finds this case's events.
  for (let other = 0; other < n(200); other++) {
    const c = caseWriter(fx.store);
    await c.open();
    await c.precheck();
    await c.approve();
  }
  const c = caseWriter(fx.store);
  await c.open();
  await c.precheck();
  for (let i = 0; i < 997; i++) await c.note(`change ${i}`);
  await c.approve();
  const positions = await sql.query<{ position: string }>(
    `select position from es_case_events where tenant_id = 'bochum' and case_id = $1 order by position limit 1000`,
    [c.caseId],
  );
  const middle = Number(positions[499]?.position);
  const headers = await fx.auth('auditor');
  const raw = pgSqlQuery(sql, c.caseId);

  const rows: string[] = [];
  const report = (what: string, ours: number[], base: number[]) => {
    const ratio = percentile(ours, 50) / percentile(base, 50);
    rows.push(
      `${engine.padEnd(10)} ${what.padEnd(34)} ${ms(percentile(ours, 50))} ${ms(percentile(ours, 99))} ${ms(percentile(base, 50))} ${ms(percentile(base, 99))} ${ratio.toFixed(1).padStart(7)}×`,
    );
  };

  const count = n(200);
  const server: number[] = [];
  const history = await sample(count, async () => {
    const response = await fetch(`${fx.url}/cases/${c.caseId}/history?purpose=benchmark&limit=1000`, { headers });
    server.push(Number(/dur=([\d.]+)/.exec(response.headers.get('server-timing') ?? '')?.[1]));
    const body = (await response.json()) as { events: unknown[] };
    if (body.events.length !== 1_000) throw new Error(`expected 1,000 events, got ${body.events.length}`);
  });
  const rawHistory = await sample(count, raw);
  report('history, 1,000 events (HTTP)', history, rawHistory);
  // The server's part of it (Server-Timing: up to sending), without the client sharing the 2 cores.
  report('  of which server (Server-Timing)', server.slice(-count), rawHistory);

  const travel = await sample(count, async () => {
    const response = await fetch(`${fx.url}/cases/${c.caseId}/state?purpose=benchmark&at=${middle}`, { headers });
    if (response.status !== 200) throw new Error(`state: ${response.status}`);
    await response.json();
  });
  report('time travel to event 500 (HTTP)', travel, await sample(count, raw));

  // Live: each append timed to the SSE client's frame and to a plain store subscription's handler.
  const feed = openEventStream(`${fx.url}/cases/${c.caseId}/events`, await fx.auth('scheduler'));
  await feed.ready;
  await feed.until(() => feed.comments > 0);
  const sealed = await PostgresEventStore.open(sql, { ownsConnection: false });
  let subscribed = 0;
  const subscription = sealed.subscribe({ from: 'end' }, () => {
    subscribed++;
  });
  await subscription.caughtUp;
  const sse: number[] = [];
  const plain: number[] = [];
  const appends = n(200);
  // The first rounds warm up both listeners (LISTEN registered, connections in the pool): not recorded.
  for (let i = -10; i < appends; i++) {
    const before = feed.events.length;
    const seen = subscribed;
    const start = performance.now();
    await c.note(`live ${i}`);
    const both = [
      feed.until(() => feed.events.length > before).then(() => i >= 0 && sse.push(performance.now() - start)),
      (async () => {
        while (subscribed <= seen) await new Promise((resolve) => setImmediate(resolve));
        if (i >= 0) plain.push(performance.now() - start);
      })(),
    ];
    await Promise.all(both);
  }
  feed.close();
  await subscription.stop();
  await sealed.close();
  report('append → SSE client', sse, plain);
  await fx.close();
  return rows;
}

/** The baseline: the case's first 1,000 rows through the case index, with the driver only. */
function pgSqlQuery(sql: Sql, caseId: string) {
  return async () => {
    const rows = await sql.query(
      `select e.position, e.id, e.stream, e.revision, e.type, e.data, e.metadata, e.recorded_at
         from es_case_events c join es_events e on e.position = c.position
        where c.tenant_id = 'bochum' and c.case_id = $1 order by c.position limit 1000`,
      [caseId],
    );
    if (rows.length !== 1_000) throw new Error(`baseline read ${rows.length} rows`);
  };
}

const header = `${'engine'.padEnd(10)} ${'operation'.padEnd(34)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ${'base p50'.padStart(8)} ${'base p99'.padStart(8)} ${'p50 ratio'.padStart(8)}`;
const results: string[] = [];
const db = await createDatabase(serverUrl, 'bench_casefile');
try {
  const sql = pgSql({ connectionString: db.url, max: 10 });
  results.push(...(await benchEngine('postgres', sql))); // closing the app closes its connection
} finally {
  await db.drop();
}
results.push(...(await benchEngine('PGlite', pgliteSql(await PGlite.create()))));
console.log(
  `\ncasefile read side (scale ${scale}); baseline: the same rows by case id, raw driver (for SSE: a store subscription)`,
);
console.log(header);
for (const row of results) console.log(row);
