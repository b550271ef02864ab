import { PGlite } from '@electric-sql/pglite';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { pgliteSql, type Sql } from '../event-sourcing/postgres/sql.ts';
import { keyHash, registerIdempotency } from './idempotency.ts';
import { registerProblemHandling } from './problem.ts';

/** The table as it was before leases (owner, lease_until): registering must migrate it. */
const TABLE_BEFORE_LEASES = `
create table http_idempotency (
  tenant_id text not null, subject text not null, key text not null, request_hash text not null,
  state text not null check (state in ('in-progress', 'done')), status integer, headers jsonb, body text,
  created_at timestamptz not null default now(), primary key (tenant_id, subject, key)
)`;
const LEASE_MS = 900;

describe('Idempotency-Key leases', () => {
  let sql: Sql;
  let app: FastifyInstance;
  let runs = 0;
  /** Requests named here wait until their gate is opened. */
  const gates = new Map<string, () => void>();

  beforeAll(async () => {
    sql = pgliteSql(await PGlite.create());
    await sql.exec(TABLE_BEFORE_LEASES);
    app = Fastify();
    registerProblemHandling(app);
    app.addHook('onRequest', async (request) => {
      request.principal = { subject: 'agent-1', tenantId: 'tenant-a', roles: ['intake-agent'] };
    });
    await registerIdempotency(app, sql, { leaseMs: LEASE_MS });
    app.post('/jobs', async (request, reply) => {
      const body = z.object({ name: z.string(), wait: z.boolean().default(false) }).parse(request.body);
      const run = ++runs;
      if (body.wait) await new Promise<void>((resolve) => gates.set(body.name, resolve));
      return reply.code(201).send({ name: body.name, run });
    });
    await app.ready();
  }, 60_000); // PGlite takes its time to start on a busy machine
  afterAll(async () => {
    await app.close();
    await sql.close();
  });

  const post = (key: string, body: { name: string; wait?: boolean }) =>
    app.inject({ method: 'POST', url: '/jobs', headers: { 'idempotency-key': key }, payload: body });
  const row = async (key: string) =>
    (
      await sql.query<{ state: string; lease_until: Date | null; past: boolean }>(
        `select state, lease_until, coalesce(lease_until < now(), false) as past from http_idempotency
          where key = $1`,
        [keyHash(key)],
      )
    )[0];
  async function until<T>(probe: () => Promise<T | undefined>, what: string): Promise<T> {
    const deadline = Date.now() + 15_000;
    for (;;) {
      const value = await probe();
      if (value !== undefined) return value;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
  /** Waits until the request named so runs; answers what lets it finish. */
  const running = async (name: string) => {
    const release = await until(async () => gates.get(name), `${name} to run`);
    gates.delete(name);
    return release;
  };

  it('keeps the key of a running request past its first lease (renewed): a retry meanwhile is a 409 with Retry-After', async () => {
    const first = post('long', { name: 'long', wait: true });
    const release = await running('long');
    const firstLease = await until(async () => (await row('long'))?.lease_until ?? undefined, 'the lease');
    // The database's clock is past the lease the request took first: only a renewal still holds the key.
    await until(async () => {
      const [now] = await sql.query<{ past: boolean }>('select now() > $1::timestamptz as past', [firstLease]);
      return now?.past ? true : undefined;
    }, 'the first lease to run out');
    const retry = await post('long', { name: 'long', wait: true });
    expect(retry.statusCode).toBe(409);
    expect(retry.json()).toMatchObject({ code: 'request-in-progress' });
    expect(Number(retry.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(Number(retry.headers['retry-after'])).toBeLessThanOrEqual(Math.ceil(LEASE_MS / 1000));
    release();
    expect((await first).json()).toEqual({ name: 'long', run: runs });
    const replay = await post('long', { name: 'long', wait: true });
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.json()).toEqual((await first).json());
  });

  it("takes over a dead run's key once its lease ran out, and keeps the answer of the run that took it", async () => {
    const first = post('orphan', { name: 'orphan', wait: true });
    const releaseFirst = await running('orphan');
    // As a process that died leaves it: the row is no longer renewed by anyone.
    await sql.query(`update http_idempotency set owner = 'a-process-that-died' where key = $1`, [keyHash('orphan')]);
    const orphan = { name: 'orphan', wait: true };
    const retried = (async () => {
      let retry = await post('orphan', orphan);
      while (retry.statusCode === 409) {
        expect(retry.json()).toMatchObject({ code: 'request-in-progress' });
        expect(Number(retry.headers['retry-after'])).toBeGreaterThanOrEqual(1);
        await new Promise((resolve) => setTimeout(resolve, 50));
        retry = await post('orphan', orphan);
      }
      return retry;
    })();
    (await running('orphan'))(); // the retry that took the key over runs the request again
    const retry = await retried;
    expect(retry.statusCode).toBe(201);
    const taken = retry.json();
    // The overtaken run finishes later; its answer is not the one kept.
    releaseFirst();
    expect((await first).statusCode).toBe(201);
    expect((await first).json()).not.toEqual(taken);
    const replay = await post('orphan', orphan);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.json()).toEqual(taken);
  });

  it('does not hand an expired key to another request: that is still a reuse (409)', async () => {
    const first = post('other', { name: 'other', wait: true });
    const release = await running('other');
    await sql.query(`update http_idempotency set owner = 'a-process-that-died' where key = $1`, [keyHash('other')]);
    await until(async () => ((await row('other'))?.past ? true : undefined), 'the lease to run out');
    const before = runs;
    const different = await post('other', { name: 'something else' });
    expect(different.statusCode).toBe(409);
    expect(different.json()).toMatchObject({ code: 'idempotency-key-reused' });
    expect(runs).toBe(before);
    release();
    await first;
  });

  it('treats a key left in progress before leases existed as held for two minutes from its creation', async () => {
    expect((await post('legacy', { name: 'legacy' })).statusCode).toBe(201);
    await sql.query(
      `update http_idempotency set state = 'in-progress', owner = null, lease_until = null where key = $1`,
      [keyHash('legacy')],
    );
    const held = await post('legacy', { name: 'legacy' });
    expect(held.statusCode).toBe(409);
    expect(Number(held.headers['retry-after'])).toBeGreaterThan(60);
    await sql.query(`update http_idempotency set created_at = now() - interval '3 minutes' where key = $1`, [
      keyHash('legacy'),
    ]);
    const before = runs;
    const taken = await post('legacy', { name: 'legacy' });
    expect(taken.statusCode).toBe(201);
    expect(runs).toBe(before + 1);
  });
});
