/**
 * `pnpm bench case-opening`: opening cases over real HTTP, one at a time beside 200 at once (issue 11: 40 concurrent
 * openings of one tenant took 21 s each, as every opening fought over the reference counter).
 *   - embedded: the whole system as `pnpm start` builds it (PGlite in a temporary DATA_DIR, every service, the
 *     in-process bus), so the latencies include what the other services do with each new case;
 *   - PostgreSQL server: two intake instances (each its own pool, relay and projections) on one database, the
 *     requests alternating between them — the distributed mode's intake, scaled out.
 * Every request carries its own Idempotency-Key, as clients send them. Prints p50/p99/max, the errors (anything
 * but 201) and whether the references were distinct. Aim: p99 < 1 s for 200 at once, no errors.
 *
 * Environment: DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres; a database of its own is created
 * and dropped), BENCH_SCALE (default 1; 0.25 for a quick look: 50 at once).
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import * as intake from '@buergerkoffer/intake/service';
import { pgSql } from '@buergerkoffer/shared/event-sourcing';
import { LocalKeys } from '@buergerkoffer/shared/http';
import { createLogger } from '@buergerkoffer/shared/observability';
import { buildTestApp, createDatabase } from '@buergerkoffer/shared/testing';
import { buildEmbedded } from './app.ts';

const scale = Number(process.env.BENCH_SCALE ?? '1');
const CONCURRENT = Math.max(10, Math.round(200 * scale));
const SEQUENTIAL = Math.max(10, Math.round(50 * scale));
const serverUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const silent = () =>
  createLogger(
    { service: 'bench', level: 'warn' },
    new Writable({
      write(_chunk, _encoding, done) {
        done();
      },
    }),
  );

const GIVEN = ['Erika', 'Hans', 'Grete', 'Jürgen', 'Özlem', 'Marie-Luise'];
const body = (i: number) => ({
  applicant: {
    givenNames: GIVEN[i % GIVEN.length],
    familyName: `Beispiel-${i}`,
    birthDate: `19${30 + (i % 60)}-0${1 + (i % 9)}-1${i % 10}`,
    address: { street: 'Hauptstraße', houseNumber: String(1 + (i % 200)), postalCode: '44787', city: 'Bochum' },
  },
  requestedServices: ['id-card'],
  mobility: { careLevel: 4, disabilityMarks: [], permanentlyHomebound: true },
  channel: 'phone-115',
});

const percentile = (samples: readonly number[], p: number) => {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
};

interface Target {
  readonly urls: readonly string[];
  /** A token per request: the rate limit counts per caller, and a desk has many agents. */
  token(i: number): Promise<string>;
}

let counter = 0;
async function openOne(target: Target, i: number): Promise<{ ms: number; status: number; reference?: string }> {
  const n = counter++;
  const url = target.urls[n % target.urls.length] ?? '';
  const headers = {
    authorization: `Bearer ${await target.token(n)}`,
    'content-type': 'application/json',
    'idempotency-key': `bench-${n}-${randomBytes(4).toString('hex')}`,
  };
  const start = performance.now();
  const response = await fetch(`${url}/cases`, { method: 'POST', headers, body: JSON.stringify(body(i)) });
  const answer = (await response.json()) as { reference?: string };
  const ms = performance.now() - start;
  return { ms, status: response.status, ...(answer.reference ? { reference: answer.reference } : {}) };
}

function report(label: string, results: readonly { ms: number; status: number; reference?: string }[]) {
  const times = results.map((r) => r.ms);
  const errors = results.filter((r) => r.status !== 201).length;
  const references = new Set(results.map((r) => r.reference).filter((r) => r !== undefined));
  console.log(
    `${label.padEnd(44)} p50 ${percentile(times, 50).toFixed(0).padStart(6)} ms  p99 ${percentile(times, 99)
      .toFixed(0)
      .padStart(6)} ms  max ${Math.max(...times)
      .toFixed(0)
      .padStart(6)} ms  errors ${errors}  distinct references ${references.size}/${results.length - errors}`,
  );
}

async function run(label: string, target: Target) {
  for (let i = 0; i < 5; i++) await openOne(target, i); // warm-up
  const sequential = [];
  for (let i = 0; i < SEQUENTIAL; i++) sequential.push(await openOne(target, i));
  report(`${label}: 1 at a time (${SEQUENTIAL})`, sequential);
  const start = performance.now();
  const concurrent = await Promise.all(Array.from({ length: CONCURRENT }, (_, i) => openOne(target, i)));
  report(`${label}: ${CONCURRENT} at once`, concurrent);
  console.log(`${''.padEnd(44)} all ${CONCURRENT} answered after ${(performance.now() - start).toFixed(0)} ms`);
}

async function benchEmbedded() {
  const dataDir = await mkdtemp(join(tmpdir(), 'bk-bench-open-'));
  try {
    const app = await buildEmbedded({ logger: silent(), dataDir });
    const url = await app.listen({ port: 0, host: '127.0.0.1' });
    const keys = await LocalKeys.loadOrCreate(dataDir);
    await run('embedded (PGlite, every service)', {
      urls: [`${url}/intake`],
      token: (i) => keys.sign({ subject: `bench-agent-${i}`, tenantId: 'bochum', roles: ['intake-agent'] }),
    });
    await app.close();
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}

/** One intake instance on the server, wired as every composition root wires it (its definition). */
async function intakeInstance(url: string, keys: LocalKeys, masterKey: Buffer) {
  const sql = pgSql({ connectionString: url, max: 10 });
  const fixture = await buildTestApp(intake.definition, {
    sql,
    tokens: keys,
    masterKey,
    listen: true,
    logger: silent(),
  });
  return {
    url: fixture.url ?? '',
    close: async () => {
      await fixture.close();
      await sql.close();
    },
  };
}

async function benchServer() {
  const database = await createDatabase(serverUrl, 'bench_open');
  const keyDir = await mkdtemp(join(tmpdir(), 'bk-bench-keys-'));
  try {
    const keys = await LocalKeys.loadOrCreate(keyDir);
    const masterKey = randomBytes(32);
    // One after the other: both migrate the same database.
    const first = await intakeInstance(database.url, keys, masterKey);
    const second = await intakeInstance(database.url, keys, masterKey);
    await run('PostgreSQL server, 2 intake instances', {
      urls: [first.url, second.url],
      token: (i) => keys.sign({ subject: `bench-agent-${i}`, tenantId: 'bochum', roles: ['intake-agent'] }),
    });
    await first.close();
    await second.close();
  } finally {
    await rm(keyDir, { recursive: true, force: true });
    await database.drop();
  }
}

await benchEmbedded();
try {
  await benchServer();
} catch (error) {
  console.log(`PostgreSQL server: not run (${error instanceof Error ? error.message : String(error)})`);
}
