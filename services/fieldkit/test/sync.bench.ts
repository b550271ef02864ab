/**
 * `pnpm bench sync`: `POST /kits/{kitId}/sync` of a full batch — 1,000 new records of one kit (ten care-home visits:
 * 10 group visits of 24 residents with 4 services each; per visit started, the device checks at start and end, each
 * resident's services — every eighth not completed —, ended: 100 records a visit) — through `app.inject` on the
 * service as the tests build it (routing, the body's schema, the token, per item the record's schema and content
 * hash, per visit one read, the decisions and one append; the service's followers — read models, key cache, outcome
 * relay — running beside it as they do in the service). Then the same batch uploaded again: every item answered as
 * a duplicate (per visit one read, nothing appended).
 * Each round seeds new visits first (outside the timed part: one KitVisitAssigned per resident, as the office
 * consumer records them from scheduling's events), so every first sync takes the accepted path; a run fails unless
 * every item of it is `accepted`, and every item of the re-upload `duplicate`. The followers are waited for after
 * seeding and after the sync, so no timed part pays for an earlier one's.
 * Baseline in the same run: the raw append of the same events — read back from the visits' streams after the sync —
 * into a bare store on the same engine (a `PostgresEventStore` with nothing following it: its own in-memory PGlite,
 * or a database of its own on the server), one append per visit onto streams holding the same office events (so at
 * the same expected revision). Beside it, to say where the time goes: a read of those streams in the bare store (what
 * a re-upload reads), and `syncBatch` called directly — on the bare store (the sync's own work: no HTTP, no
 * followers) and on the service's store until its followers have caught up (no HTTP) —, each on visits of its own.
 * Prints median, p95 and p99 of each (and the median of the process's CPU time: the machine may be shared; on the
 * server PostgreSQL's own work is not in it), the ratios sync / raw append and re-upload / sync, and whether the aims
 * (sync p99 < 1 s; re-upload < 0.2× the sync at the median) are met — reported, not enforced.
 *
 * Environment: BENCH_SAMPLES (default 20, after 2 warm-up rounds), DATABASE_URL (default
 * postgres://postgres@127.0.0.1:5432/postgres: the same on the PostgreSQL server, in databases of its own created and
 * dropped; skipped when none answers).
 */
import { cpus, loadavg } from 'node:os';
import { PerformanceObserver } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ServiceId, SyncRecord, SyncResponse, SyncStatus } from '@buergerkoffer/shared/contracts';
import { type EventToAppend, PostgresEventStore, pgSql, type Sql } from '@buergerkoffer/shared/event-sourcing';
import { createDatabase } from '@buergerkoffer/shared/testing';
import { syncBatch } from '../src/sync/sync.ts';
import { assignedEvents, fieldkitFixture, kitDayRecords, type SeededVisit, TENANT } from './fieldkit.fixture.ts';

const SAMPLES = Math.max(5, Number(process.env.BENCH_SAMPLES ?? '20'));
const WARM_UP = 2;
const VISITS = 10;
const SERVICES: readonly ServiceId[] = ['id-card', 'registration-certificate', 'life-certificate', 'certified-copy'];
const PLAN = { participants: 24, services: SERVICES, minutes: 8 * 60 };
const ITEMS = 1_000;
const AIM_SYNC_MS = 1_000;
const AIM_REUPLOAD_RATIO = 0.2;
const serverUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** Nearest rank: of 20 samples the p95 is the 19th, the p99 the slowest. */
const percentile = (samples: readonly number[], p: number) => {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
};
const ms = (value: number) => value.toFixed(value < 10 ? 2 : 1).padStart(7);
interface Samples {
  readonly wall: number[];
  readonly cpu: number[];
  /** Each sample's window, to charge it the garbage collector's pauses within. */
  readonly windows: [number, number][];
}
const samples = (): Samples => ({ wall: [], cpu: [], windows: [] });
/** The collector's pauses (start, duration), as the process reports them. */
const pauses: [number, number][] = [];
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) pauses.push([entry.startTime, entry.duration]);
}).observe({ entryTypes: ['gc'] });
const paused = ([from, to]: [number, number]) =>
  pauses.reduce((sum, [at, duration]) => (at >= from && at < to ? sum + duration : sum), 0);
/** Two parts of one round, added up round by round. */
const summed = (a: Samples, b: Samples): Samples => ({
  get wall() {
    return a.wall.map((wall, i) => wall + (b.wall[i] ?? 0));
  },
  get cpu() {
    return a.cpu.map((cpu, i) => cpu + (b.cpu[i] ?? 0));
  },
  get windows() {
    return a.windows.map(([from], i): [number, number] => [from, b.windows[i]?.[1] ?? from]);
  },
});
const timed = async <T>(into: Samples | undefined, run: () => Promise<T>): Promise<T> => {
  const cpu = process.cpuUsage();
  const start = performance.now();
  const result = await run();
  const wall = performance.now() - start;
  const used = process.cpuUsage(cpu);
  into?.wall.push(wall);
  into?.cpu.push((used.user + used.system) / 1000);
  into?.windows.push([start, start + wall]);
  return result;
};

/** Fails the run unless every item got this answer. */
function expectAll(response: SyncResponse, status: SyncStatus, what: string): void {
  const other = response.results.find((result) => result.status !== status);
  if (response.results.length !== ITEMS || response.counts[status] !== ITEMS || other)
    throw new Error(
      `${what}: ${ITEMS} items ${status} expected, got ${JSON.stringify(response.counts)}: ${JSON.stringify(other)}`,
    );
}

const eventCount = async (sql: Sql) =>
  Number((await sql.query<{ n: number | string }>('select count(*) as n from es_events'))[0]?.n ?? 0).toLocaleString(
    'en',
  );

async function bench(label: string, sql?: Sql, bareSql?: Sql): Promise<void> {
  const setupStart = performance.now();
  const f = await fieldkitFixture(sql);
  // The baseline's store: the same adapter on the same engine, with nothing following it.
  const bare = bareSql
    ? await PostgresEventStore.open(bareSql, { ownsConnection: false })
    : await PostgresEventStore.embedded();
  try {
    const seedBare = async (visits: readonly SeededVisit[]) => {
      for (const visit of visits) await bare.append(visit.stream, [...visit.events], 'no-stream');
    };
    const context = {
      tenantId: TENANT,
      kitId: f.kitId,
      actor: { id: 'kit-session-1', role: 'kit-device' },
      correlationId: 'bench',
      now: () => new Date(),
    };
    const sync = samples();
    const syncSettle = samples();
    const reupload = samples();
    const rawAppend = samples();
    const rawRead = samples();
    const bareBatch = samples();
    const servedBatch = samples();
    const servedSettle = samples();
    const syncSettled = summed(sync, syncSettle);
    const servedSettled = summed(servedBatch, servedSettle);
    const rows = [
      { label: `POST /kits/{kitId}/sync, ${ITEMS.toLocaleString('en')} new items`, samples: sync },
      { label: '  … until its followers have caught up', samples: syncSettled },
      { label: '  the same batch again (every item a duplicate)', samples: reupload },
      { label: `baseline: raw append of its events (${VISITS} appends)`, samples: rawAppend },
      { label: "  raw read of the visits' streams (the re-upload's)", samples: rawRead },
      { label: '  syncBatch on the bare store (no HTTP, no followers)', samples: bareBatch },
      { label: "  syncBatch on the service's store, until caught up", samples: servedSettled },
    ];
    let written = 0;
    let bodyBytes = 0;
    let kinds = '';
    let seedMs = 0;
    const round = async (record: boolean) => {
      const sink = (into: Samples) => (record ? into : undefined);
      const seedStart = performance.now();
      const visits = await f.seedVisits(VISITS, PLAN);
      await seedBare(visits);
      // Visits of their own for syncBatch on either store (an event's id comes from the kit and the submission id).
      const own = Array.from({ length: VISITS }, (_, i) => assignedEvents(f.kitId, 1_000 + i, PLAN));
      await seedBare(own);
      const served = await f.seedVisits(VISITS, PLAN);
      await f.settled();
      const batch = kitDayRecords(visits);
      if (batch.length !== ITEMS) throw new Error(`the batch has ${batch.length} items, not ${ITEMS}`);
      bodyBytes = JSON.stringify({ items: batch }).length;
      kinds = Object.entries(Object.groupBy(batch, (item: SyncRecord) => item.kind))
        .map(([kind, items]) => `${items?.length ?? 0} ${kind}`)
        .join(', ');
      seedMs += performance.now() - seedStart;

      expectAll(await timed(sink(sync), () => f.sync(batch)), 'accepted', 'the first sync');
      await timed(sink(syncSettle), () => f.settled());
      expectAll(await timed(sink(reupload), () => f.sync(batch)), 'duplicate', 'the re-upload');

      // The events the sync wrote, as appended (the office's events before them are in the bare store already).
      const appended: { stream: string; revision: number; events: EventToAppend[] }[] = [];
      for (const visit of visits) {
        const stored = await f.fixture.store.readStream(visit.stream, { fromRevision: visit.version, limit: 1_000 });
        appended.push({
          stream: visit.stream,
          revision: visit.version - 1,
          events: stored.map(({ id, type, data, metadata }) => ({ id, type, data, metadata })),
        });
      }
      written = appended.reduce((sum, visit) => sum + visit.events.length, 0);
      if (written !== ITEMS) throw new Error(`the sync wrote ${written} events, not ${ITEMS}`);
      await timed(sink(rawAppend), async () => {
        for (const { stream, revision, events } of appended) await bare.append(stream, events, { revision });
      });
      await timed(sink(rawRead), async () => {
        for (const { stream } of appended) await bare.readStream(stream, { limit: 1_000 });
      });
      const onBare = kitDayRecords(own);
      expectAll(await timed(sink(bareBatch), () => syncBatch(bare, context, onBare)), 'accepted', 'on the bare store');
      const onServed = kitDayRecords(served);
      expectAll(
        await timed(sink(servedBatch), () => syncBatch(f.fixture.store, context, onServed)),
        'accepted',
        "on the service's store",
      );
      await timed(sink(servedSettle), () => f.settled());
    };
    for (let i = 0; i < WARM_UP; i++) await round(false);
    seedMs = 0;
    const measureStart = performance.now();
    for (let i = 0; i < SAMPLES; i++) await round(true);
    const measuredMs = performance.now() - measureStart;
    await sleep(50); // the observer's last entries

    const [load1 = 0] = loadavg();
    console.log(
      `\n${label}: ${VISITS} group visits of one kit, ${PLAN.participants} residents each with ${SERVICES.length} ` +
        `services (version ${PLAN.participants} after seeding); a batch of ${ITEMS.toLocaleString('en')} items ` +
        `(${kinds}; ${(bodyBytes / 1024).toFixed(0)} KiB of JSON), ${written.toLocaleString('en')} events written; ` +
        `${SAMPLES} rounds after ${WARM_UP} warm-up rounds; ${cpus().length} cores, load ${load1.toFixed(1)}`,
    );
    console.log(
      `  set up and warmed up in ${((measureStart - setupStart) / 1000).toFixed(1)} s, measured in ${(measuredMs / 1000).toFixed(1)} s ` +
        `(of which seeding ${(seedMs / 1000).toFixed(1)} s); the service's store at the end: ${await eventCount(f.fixture.sql)} events`,
    );
    console.log(
      `  ${''.padEnd(56)} ${'median'.padStart(7)} ${'p95'.padStart(7)} ${'p99'.padStart(7)} ${'max'.padStart(7)} ${'cpu p50'.padStart(7)} ${'gc avg'.padStart(7)}  ms`,
    );
    for (const { label: what, samples: row } of rows) {
      const { wall, cpu } = row;
      const gc = row.windows.reduce((sum, window) => sum + paused(window), 0) / row.windows.length;
      console.log(
        `  ${what.padEnd(56)} ${ms(percentile(wall, 50))} ${ms(percentile(wall, 95))} ${ms(percentile(wall, 99))} ${ms(Math.max(...wall))} ${ms(percentile(cpu, 50))} ${ms(gc)}`,
      );
    }
    const ratio = (of: Samples, to: Samples, p: number) => percentile(of.wall, p) / percentile(to.wall, p);
    const ratios = (of: Samples, to: Samples) =>
      `median ${ratio(of, to, 50).toFixed(2)}×, p95 ${ratio(of, to, 95).toFixed(2)}×, p99 ${ratio(of, to, 99).toFixed(2)}×`;
    const p99 = percentile(sync.wall, 99);
    const again = ratio(reupload, sync, 50);
    const half = Math.floor(sync.wall.length / 2);
    console.log(
      `  sync median over the first and the second half of the rounds (the stores growing): ` +
        `${percentile(sync.wall.slice(0, half), 50).toFixed(0)} / ${percentile(sync.wall.slice(half), 50).toFixed(0)} ms`,
    );
    console.log(`  ratio sync / raw append: ${ratios(sync, rawAppend)}`);
    console.log(`  ratio syncBatch on the bare store / raw append: ${ratios(bareBatch, rawAppend)}`);
    // Where the sync's time goes, in CPU time (less bent by a busy machine than the wall clock), round by round at
    // the median: the sync's own work, the followers' beside it, the HTTP layer's.
    const cpuLess = (of: Samples, to: Samples) => {
      const less = percentile(
        of.cpu.map((cpu, i) => cpu - (to.cpu[i] ?? 0)),
        50,
      );
      return `${less < 0 ? '−' : '+'}${Math.abs(less).toFixed(0)}`;
    };
    console.log(
      `  CPU at the median: syncBatch alone ${percentile(bareBatch.cpu, 50).toFixed(0)} ms (raw append ` +
        `${percentile(rawAppend.cpu, 50).toFixed(0)}); the followers beside it ${cpuLess(servedSettled, bareBatch)} ms ` +
        `(syncBatch on the service's store until caught up, less on the bare store); the HTTP layer ` +
        `${cpuLess(syncSettled, servedSettled)} ms (the sync until caught up, less syncBatch there)`,
    );
    console.log(`  ratio re-upload / raw read: ${ratios(reupload, rawRead)}`);
    console.log(`  ratio re-upload / sync: ${ratios(reupload, sync)}`);
    console.log(
      `  aim sync p99 < ${AIM_SYNC_MS} ms: ${p99 < AIM_SYNC_MS ? 'met' : 'NOT met'} (${p99.toFixed(0)} ms); ` +
        `aim re-upload < ${AIM_REUPLOAD_RATIO}× the sync (median): ${again < AIM_REUPLOAD_RATIO ? 'met' : 'NOT met'} ` +
        `(${again.toFixed(2)}×)`,
    );
  } finally {
    await bare.close();
    await f.close();
  }
}

await bench('embedded (PGlite in memory)');
const databases: Awaited<ReturnType<typeof createDatabase>>[] = [];
try {
  databases.push(await createDatabase(serverUrl, 'bench_sync'));
  databases.push(await createDatabase(serverUrl, 'bench_sync_raw'));
} catch (error) {
  console.log(`\nPostgreSQL server: not run (${error instanceof Error ? error.message : String(error)})`);
}
const [service, raw] = databases;
if (service && raw) {
  const sql = pgSql(service.url);
  const bareSql = pgSql(raw.url);
  try {
    await bench('PostgreSQL server', sql, bareSql);
  } finally {
    await sql.close();
    await bareSql.close();
  }
}
for (const database of databases) await database.drop();
