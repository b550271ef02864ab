/**
 * `pnpm bench:store`: our PostgreSQL event store against a raw driver baseline doing the same inserts and selects in
 * the same run, on the PostgreSQL server and on PGlite. Prints events/s and the ratio (ours / raw).
 *
 * Baseline table: the same columns a plain event table needs (position, stream, revision, type, data, metadata,
 * time) with the same unique (stream, revision) and position indexes, written with one INSERT per call.
 *
 * Environment: DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres; a database of its own is created
 * and dropped), BENCH_SCALE (default 1; 0.2 for a quick look).
 */
import { PGlite } from '@electric-sql/pglite';
import { createDatabase } from '../../testing/postgres.ts';
import { uuidv7 } from '../ids.ts';
import type { EventToAppend } from '../types.ts';
import { PostgresEventStore } from './postgres-event-store.ts';
import { pgliteSql, pgSql, type Sql } from './sql.ts';

const scale = Number(process.env.BENCH_SCALE ?? '1');
const n = (count: number) => Math.max(1, Math.round(count * scale));
const serverUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

const RAW_SCHEMA = `
create table raw_events (
  position bigserial primary key, id uuid not null unique, stream text not null, revision bigint not null, type text not null,
  data jsonb not null, metadata jsonb not null, recorded_at timestamptz not null default now(), unique (stream, revision))`;

const payload = (i: number) => ({
  caseId: `case-${i}`,
  services: ['id-card', 'registration'],
  channel: 'phone-115',
  mobility: { careLevel: 4, marks: ['aG'], homebound: true },
  note: 'x'.repeat(200),
});
const metadata = { tenantId: 'bench', actor: { id: 'agent-1', role: 'intake-agent' }, correlationId: 'c-1' };
const events = (count: number, base: number): EventToAppend[] =>
  Array.from({ length: count }, (_, i) => ({ id: uuidv7(), type: 'CaseOpened', data: payload(base + i), metadata }));

interface Row {
  engine: string;
  operation: string;
  ours: number;
  raw: number;
}

async function time(work: () => Promise<void>): Promise<number> {
  const start = process.hrtime.bigint();
  await work();
  return Number(process.hrtime.bigint() - start) / 1e9;
}

/** Runs raw and ours alternately, `rounds` times each, and keeps the best events/s of each (less noise on 2 cores). */
async function compare(rounds: number, eventsPerRound: number, ours: () => Promise<void>, raw: () => Promise<void>) {
  let bestOurs = 0;
  let bestRaw = 0;
  for (let round = 0; round < rounds; round++) {
    bestRaw = Math.max(bestRaw, eventsPerRound / (await time(raw)));
    bestOurs = Math.max(bestOurs, eventsPerRound / (await time(ours)));
  }
  return { ours: bestOurs, raw: bestRaw };
}

async function benchEngine(engine: string, sql: Sql, rawSql: Sql): Promise<Row[]> {
  const store = await PostgresEventStore.open(sql);
  await rawSql.exec(RAW_SCHEMA);
  const rows: Row[] = [];
  const rounds = 5;

  // 1 event per call, each to the next revision of its stream (as a command handler does).
  const single = n(engine === 'PGlite' ? 600 : 1_000);
  let stream = 0;
  const r1 = await compare(
    rounds,
    single,
    async () => {
      const name = `bench-${stream++}`;
      for (let i = 0; i < single; i++) {
        await store.append(name, events(1, i), i === 0 ? 'no-stream' : { revision: i - 1 });
      }
    },
    async () => {
      const name = `raw-${stream++}`;
      for (let i = 0; i < single; i++) {
        await rawSql.query(
          'insert into raw_events (id, stream, revision, type, data, metadata) values ($1, $2, $3, $4, $5, $6)',
          [uuidv7(), name, i, 'CaseOpened', JSON.stringify(payload(i)), JSON.stringify(metadata)],
        );
      }
    },
  );
  rows.push({ engine, operation: 'append, 1 event per call', ...r1 });

  // 100 events per call.
  const calls = n(engine === 'PGlite' ? 20 : 40);
  const r100 = await compare(
    rounds,
    calls * 100,
    async () => {
      const name = `bench100-${stream++}`;
      for (let c = 0; c < calls; c++)
        await store.append(name, events(100, c * 100), c === 0 ? 'no-stream' : { revision: c * 100 - 1 });
    },
    async () => {
      const name = `raw100-${stream++}`;
      for (let c = 0; c < calls; c++) {
        const params: unknown[] = [];
        const tuples = Array.from({ length: 100 }, (_, i) => {
          params.push(uuidv7(), name, c * 100 + i, 'CaseOpened', JSON.stringify(payload(i)), JSON.stringify(metadata));
          const p = params.length - 6;
          return `($${p + 1}, $${p + 2}, $${p + 3}, $${p + 4}, $${p + 5}, $${p + 6})`;
        });
        await rawSql.query(
          `insert into raw_events (id, stream, revision, type, data, metadata) values ${tuples.join(', ')}`,
          params,
        );
      }
    },
  );
  rows.push({ engine, operation: 'append, 100 events per call', ...r100 });

  // Read one stream of 1,000 events, whole.
  const readStreamName = 'benchread-1';
  for (let c = 0; c < 10; c++) await store.append(readStreamName, events(100, c * 100));
  const rawReadName = 'rawread-1';
  for (let c = 0; c < 10; c++) {
    for (let i = 0; i < 100; i++) {
      await rawSql.query(
        'insert into raw_events (id, stream, revision, type, data, metadata) values ($1, $2, $3, $4, $5, $6)',
        [uuidv7(), rawReadName, c * 100 + i, 'CaseOpened', JSON.stringify(payload(i)), JSON.stringify(metadata)],
      );
    }
  }
  const reads = n(30);
  const rs = await compare(
    rounds,
    reads * 1_000,
    async () => {
      for (let i = 0; i < reads; i++) await store.readStream(readStreamName, { limit: 1_000 });
    },
    async () => {
      for (let i = 0; i < reads; i++) {
        await rawSql.query(
          `select position, id, stream, revision, type, data, metadata, recorded_at from raw_events
            where stream = $1 and revision >= 0 order by revision limit 1000`,
          [rawReadName],
        );
      }
    },
  );
  rows.push({ engine, operation: 'read a stream (1,000 events)', ...rs });

  // Read all events in pages of 1,000.
  const total = Number((await sql.query<{ c: number | string }>('select count(*) as c from es_events'))[0]?.c ?? 0);
  const rawTotal = Number(
    (await rawSql.query<{ c: number | string }>('select count(*) as c from raw_events'))[0]?.c ?? 0,
  );
  let ourRead = 0;
  let rawRead = 0;
  const ra = await compare(
    rounds,
    Math.min(total, rawTotal),
    async () => {
      let after = 0;
      ourRead = 0;
      while (ourRead < Math.min(total, rawTotal)) {
        const page = await store.readAll({ afterPosition: after, limit: 1_000 });
        if (page.length === 0) break;
        ourRead += page.length;
        after = page.at(-1)?.position ?? after;
      }
    },
    async () => {
      let after = 0;
      rawRead = 0;
      while (rawRead < Math.min(total, rawTotal)) {
        const page = await rawSql.query<{ position: number | string }>(
          `select position, id, stream, revision, type, data, metadata, recorded_at from raw_events
            where position > $1 order by position limit 1000`,
          [after],
        );
        if (page.length === 0) break;
        rawRead += page.length;
        after = Number(page.at(-1)?.position ?? after);
      }
    },
  );
  rows.push({
    engine,
    operation: `read all (${Math.min(total, rawTotal).toLocaleString('en')} events, pages of 1,000)`,
    ...ra,
  });
  await store.close();
  return rows;
}

const fmt = (value: number) => Math.round(value).toLocaleString('en').padStart(9);

async function main() {
  const results: Row[] = [];
  // PGlite: one engine for ours and raw (separate tables), as embedded mode runs it.
  const db = await PGlite.create();
  results.push(...(await benchEngine('PGlite', pgliteSql(db, { ownsDb: false }), pgliteSql(db, { ownsDb: false }))));
  await db.close();

  const server = await createDatabase(serverUrl, 'bench');
  try {
    const sql = pgSql({ connectionString: server.url, max: 4 });
    const raw = pgSql({ connectionString: server.url, max: 4 });
    results.push(...(await benchEngine('PostgreSQL', sql, raw)));
    await raw.close();
  } finally {
    await server.drop();
  }

  console.log('\nengine      operation                                        ours ev/s   raw ev/s   ratio');
  for (const row of results) {
    console.log(
      `${row.engine.padEnd(11)} ${row.operation.padEnd(46)} ${fmt(row.ours)}  ${fmt(row.raw)}   ${(row.ours / row.raw).toFixed(2)}×`,
    );
  }
}

await main();
