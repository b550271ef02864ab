/**
 * The processor on the real engines (PGlite, and the PostgreSQL server): batches in order from its resume position,
 * a failure never ends it (retried from the resume position with a growing pause, reported, counted), its status
 * says since when it has been failing and clears on success, readiness turns not-ready only after the grace period,
 * and a clean stop hands over what was delivered. Controls show the tests would notice the protection missing.
 */
import { PGlite } from '@electric-sql/pglite';
import { describe, expect, it } from 'vitest';
import { createHttpApp } from '../http/server.ts';

/** The metrics scraper's token (/metrics is not public). */
const SCRAPER_TOKEN = 'processor-contract-scraper-token-0123456789';

import { createLogger } from '../observability/logger.ts';
import { useTestDatabase } from '../testing/postgres.ts';
import { describeWith } from '../testing/requirements.ts';
import { uuidv7 } from './ids.ts';
import { PostgresEventStore } from './postgres/postgres-event-store.ts';
import { pgliteSql, pgSql, type Sql } from './postgres/sql.ts';
import { ProcessorRegistry, retryPause, startProcessor } from './processor.ts';
import type { StoredEvent } from './types.ts';

let n = 0;
const category = () => `proc${++n}${Math.random().toString(36).slice(2, 6)}`;

async function appendMany(store: PostgresEventStore, cat: string, count: number) {
  for (let i = 0; i < count; i++) {
    await store.append(`${cat}-${i % 3}`, [
      { id: uuidv7(), type: 'Counted', data: { i }, metadata: { tenantId: 't' } },
    ]);
  }
}

const waitUntil = async (check: () => boolean, what: string, timeoutMs = 30_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
};

function processorSuite(open: () => Promise<{ store: PostgresEventStore; sql: Sql }>) {
  it('hands over every event after its resume position in order, in batches no larger than asked', async () => {
    const { store } = await open();
    const cat = category();
    await appendMany(store, cat, 25);
    const all = await store.readAll({ filter: { streamCategories: [cat] } });
    const resumeAt = all[4]?.position ?? 0;
    const batches: number[][] = [];
    const processor = startProcessor(
      store,
      { name: `test:${cat}`, filter: { streamCategories: [cat] }, batchSize: 7 },
      {
        resumeFrom: () => resumeAt,
        handle: (batch) => {
          batches.push(batch.map((e) => e.position));
          return undefined;
        },
      },
    );
    await processor.caughtUp;
    await appendMany(store, cat, 5); // live
    await waitUntil(() => batches.flat().length === 25, '25 events');
    await processor.stop();
    expect(batches.flat()).toEqual(
      (await store.readAll({ filter: { streamCategories: [cat] } })).slice(5).map((e) => e.position),
    );
    expect(Math.max(...batches.map((b) => b.length))).toBeLessThanOrEqual(7);
    await store.close();
  });

  it('never ends on a failure: reports it, starts over from its checkpoint, and recovers with nothing lost', async () => {
    const { store } = await open();
    const cat = category();
    const registry = new ProcessorRegistry();
    const failures: number[] = [];
    const errors: string[] = [];
    let checkpoint = 0;
    let failing = true;
    const seen: number[] = [];
    const processor = startProcessor(
      store,
      {
        name: `test:${cat}`,
        filter: { streamCategories: [cat] },
        retryMs: [10, 40],
        registry,
        onError: (_error, attempt) => failures.push(attempt),
        log: { error: (_fields, message) => errors.push(message) },
      },
      {
        resumeFrom: () => checkpoint,
        handle: (batch: readonly StoredEvent[]) => {
          if (failing) throw new Error('bus unreachable');
          for (const event of batch) seen.push(event.position);
          checkpoint = batch.at(-1)?.position ?? checkpoint;
          return undefined;
        },
      },
    );
    await appendMany(store, cat, 6);
    await waitUntil(() => failures.length >= 3, 'three failures in a row');
    expect(failures.slice(0, 3)).toEqual([1, 2, 3]);
    expect(errors[0]).toBe('processor failed; starting over from its checkpoint');
    const status = processor.status();
    expect(status.failingSince).toBeInstanceOf(Date);
    expect(status.lastError).toContain('bus unreachable');
    expect(registry.failing(0).map((s) => s.name)).toEqual([`test:${cat}`]);
    expect(registry.failing(3_600_000)).toEqual([]); // within the grace period: not yet reported
    failing = false; // the bus is back
    await waitUntil(() => seen.length === 6, 'the six events after recovery');
    await waitUntil(() => processor.status().failingSince === undefined, 'healthy again');
    expect(registry.failing(0)).toEqual([]);
    expect(seen).toEqual((await store.readAll({ filter: { streamCategories: [cat] } })).map((e) => e.position));
    await processor.stop();
    expect(registry.list()).toEqual([]); // a stopped processor leaves the registry
    await store.close();
  });

  it('counts a follower that throws undefined as failed, and loses none of that batch', async () => {
    const { store } = await open();
    const cat = category();
    let checkpoint = 0;
    let throwsOnce = true;
    const seen: number[] = [];
    const processor = startProcessor(
      store,
      { name: `test:${cat}`, filter: { streamCategories: [cat] }, batchSize: 2, retryMs: [10, 40] },
      {
        resumeFrom: () => checkpoint,
        handle: (batch) => {
          if (throwsOnce) {
            throwsOnce = false;
            throw undefined; // what a careless follower can do: no error object at all
          }
          for (const e of batch) seen.push(e.position);
          checkpoint = batch.at(-1)?.position ?? checkpoint;
          return undefined;
        },
      },
    );
    await appendMany(store, cat, 6);
    await waitUntil(() => seen.length >= 6, 'all six events');
    await processor.stop();
    expect(processor.status().failures).toBe(1);
    expect(seen).toEqual((await store.readAll({ filter: { streamCategories: [cat] } })).map((e) => e.position));
    await store.close();
  });

  it('control: a plain subscription ends for good on the same failure', async () => {
    const { store } = await open();
    const cat = category();
    let calls = 0;
    const subscription = store.subscribe({ filter: { streamCategories: [cat] } }, () => {
      calls++;
      if (calls === 1) throw new Error('bus unreachable');
    });
    await appendMany(store, cat, 3);
    await expect(subscription.done).rejects.toThrow('bus unreachable');
    await appendMany(store, cat, 1);
    expect(calls).toBe(1); // nothing more is ever handled: what the processor exists to prevent
    await store.close();
  });

  it('hands over on a clean stop what was delivered before it', async () => {
    const { store } = await open();
    const cat = category();
    await appendMany(store, cat, 40);
    let checkpoint = 0;
    const handled: number[] = [];
    const first = startProcessor(
      store,
      { name: `test:${cat}`, filter: { streamCategories: [cat] }, batchSize: 10 },
      {
        resumeFrom: () => checkpoint,
        handle: async (batch) => {
          await new Promise((resolve) => setTimeout(resolve, 5));
          for (const e of batch) handled.push(e.position);
          checkpoint = batch.at(-1)?.position ?? checkpoint;
          return undefined;
        },
      },
    );
    await waitUntil(() => handled.length > 0, 'the first batch');
    await first.stop();
    const second = startProcessor(
      store,
      { name: `test:${cat}`, filter: { streamCategories: [cat] } },
      {
        resumeFrom: () => checkpoint,
        handle: (batch) => {
          for (const e of batch) handled.push(e.position);
          checkpoint = batch.at(-1)?.position ?? checkpoint;
          return undefined;
        },
      },
    );
    await second.caughtUp;
    await second.stop();
    const all = (await store.readAll({ filter: { streamCategories: [cat] } })).map((e) => e.position);
    expect(handled).toEqual(all); // none twice, none lost, in order
    await store.close();
  });

  it('turns readiness not-ready while a processor keeps failing beyond the grace period, naming it', async () => {
    const { store, sql } = await open();
    const cat = category();
    const app = await createHttpApp({
      logger: createLogger({ service: 'test', level: 'silent' }),
      verifier: {
        verify: async () => {
          throw new Error('no tokens here');
        },
      },
      sql,
      openapi: { title: 'test', version: '1' },
      processorGraceMs: 0,
      rateLimit: false,
      metricsToken: SCRAPER_TOKEN,
    });
    let failing = true;
    const processor = startProcessor(
      store,
      { name: `test:${cat}`, filter: { streamCategories: [cat] }, retryMs: [10, 40], registry: app.processors },
      {
        resumeFrom: () => 0,
        handle: () => {
          if (failing) throw new Error('bus unreachable');
          return undefined;
        },
      },
    );
    expect((await app.inject({ url: '/readyz' })).statusCode).toBe(200);
    await appendMany(store, cat, 1);
    await waitUntil(() => processor.status().failingSince !== undefined, 'a failure');
    const notReady = await app.inject({ url: '/readyz' });
    expect(notReady.statusCode).toBe(503);
    expect(notReady.json()).toMatchObject({
      checks: { [`test:${cat}`]: false },
      failing: [{ name: `test:${cat}`, lastError: expect.stringContaining('bus unreachable') }],
    });
    const metrics = (await app.inject({ url: '/metrics', headers: { authorization: `Bearer ${SCRAPER_TOKEN}` } })).body;
    expect(metrics).toMatch(new RegExp(`processor_failures_total\\{processor="test:${cat}"\\} [1-9]`));
    failing = false;
    await waitUntil(() => processor.status().failingSince === undefined, 'recovery');
    expect((await app.inject({ url: '/readyz' })).statusCode).toBe(200);
    await processor.stop();
    await app.close();
    await store.close();
  });
}

describe('retry pauses', () => {
  it('grow from the first to the longest, with jitter within half of each', () => {
    for (let attempt = 1; attempt <= 12; attempt++) {
      const full = Math.min(30_000, 500 * 2 ** (attempt - 1));
      const pause = retryPause(attempt, [500, 30_000]);
      expect(pause).toBeGreaterThanOrEqual(full / 2);
      expect(pause).toBeLessThanOrEqual(full);
    }
  });
});

describe('the processor on PGlite (embedded, in memory)', () => {
  processorSuite(async () => {
    const sql = pgliteSql(await PGlite.create());
    return { sql, store: await PostgresEventStore.open(sql, { pollIntervalMs: 50 }) };
  });
});

describeWith('postgres', 'the processor on the PostgreSQL server', (serverUrl) => {
  const db = useTestDatabase(serverUrl);
  processorSuite(async () => {
    const sql = pgSql(db.url);
    return { sql, store: await PostgresEventStore.open(sql, { pollIntervalMs: 50 }) };
  });
});
