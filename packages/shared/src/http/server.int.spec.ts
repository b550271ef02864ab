import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { DomainError } from '../event-sourcing/decider.ts';
import { VersionConflictError } from '../event-sourcing/errors.ts';
import { pgliteSql } from '../event-sourcing/postgres/sql.ts';
import { createLogger } from '../observability/logger.ts';
import { LocalKeys, principalOf, requireRole } from './auth.ts';
import { notFound } from './problem.ts';
import { createHttpApp, type HttpApp } from './server.ts';

class ThingLocked extends DomainError {
  readonly code = 'thing-locked';
  readonly kind = 'illegal-state' as const;
}

const thingBody = z.object({
  name: z.string().min(1),
  count: z.number().int().min(0),
  nested: z.object({ code: z.enum(['a', 'b']) }),
});

describe('the shared HTTP runtime', () => {
  let app: HttpApp;
  let keys: LocalKeys;
  let dir: string;
  let handled = 0;
  let ready = true;
  const things = new Map<string, { tenantId: string; name: string }>();
  const token = (roles: Parameters<LocalKeys['sign']>[0]['roles'], tenantId = 'tenant-a') =>
    keys.sign({ subject: 'agent-1', tenantId, roles });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bk-http-'));
    keys = await LocalKeys.loadOrCreate(dir);
    app = await createHttpApp({
      logger: createLogger({ service: 'test', level: 'silent' }),
      verifier: keys,
      sql: pgliteSql(await PGlite.create()),
      openapi: { title: 'Test service', version: '1.0.0' },
      readiness: async () => ({ eventStore: ready }),
      bodyLimitBytes: 2_048,
      rateLimit: { max: 1_000, timeWindowMs: 60_000 },
    });
    app.post(
      '/things',
      {
        schema: { body: thingBody, response: { 201: z.object({ id: z.string() }) } },
        onRequest: requireRole('intake-agent'),
      },
      async (request, reply) => {
        handled++;
        if (request.body.name === 'locked') throw new ThingLocked('the thing is locked');
        if (request.body.name === 'stale') throw new VersionConflictError('thing-1', { revision: 1 }, 3);
        if (request.body.name === 'boom') throw new Error('secret internals at db.internal:5432');
        const id = `thing-${handled}`;
        things.set(id, { tenantId: principalOf(request).tenantId, name: request.body.name });
        return reply.code(201).header('location', `/things/${id}`).header('etag', 'W/"0"').send({ id });
      },
    );
    app.get('/things/:id', { schema: { params: z.object({ id: z.string() }) } }, async (request) => {
      const thing = things.get(request.params.id);
      if (!thing || thing.tenantId !== principalOf(request).tenantId) throw notFound();
      return { name: thing.name };
    });
    await app.ready();
  });
  afterAll(async () => {
    await app.close();
    await rm(dir, { recursive: true, force: true });
  });

  const post = async (body: unknown, headers: Record<string, string> = {}) =>
    app.inject({
      method: 'POST',
      url: '/things',
      headers: { authorization: `Bearer ${await token(['intake-agent'])}`, ...headers },
      payload: body as Record<string, unknown>,
    });
  const good = { name: 'x', count: 1, nested: { code: 'a' } };

  describe('authentication and roles', () => {
    it('answers 401 problem+json without a token, with a bad one, or with an expired one', async () => {
      const none = await app.inject({ method: 'POST', url: '/things', payload: good });
      expect(none.statusCode).toBe(401);
      expect(none.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(none.json()).toMatchObject({ status: 401, code: 'unauthenticated', instance: '/things' });
      const forged = await new SignJWT({ tenant: 'tenant-a', roles: ['admin'] })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject('x')
        .sign(new TextEncoder().encode('a'.repeat(32)));
      expect((await post(good, { authorization: `Bearer ${forged}` })).statusCode).toBe(401);
      const expired = await keys.sign({ subject: 'a', tenantId: 'tenant-a', roles: ['intake-agent'] }, -10);
      expect((await post(good, { authorization: `Bearer ${expired}` })).statusCode).toBe(401);
    });

    it('answers 403 to a caller without the route’s role', async () => {
      const response = await post(good, { authorization: `Bearer ${await token(['field-officer'])}` });
      expect(response.statusCode).toBe(403);
      expect(response.json()).toMatchObject({ code: 'forbidden' });
      // Every answer says how long the server took (Server-Timing), problems included.
      expect(response.headers['server-timing']).toMatch(/^app;dur=\d+(\.\d)?$/);
    });

    it("answers 404 for another tenant's resource, as if absent", async () => {
      const created = await post({ ...good, name: 'mine' });
      const location = created.headers.location;
      const other = await app.inject({
        method: 'GET',
        url: String(location),
        headers: { authorization: `Bearer ${await token(['intake-agent'], 'tenant-b')}` },
      });
      expect(other.statusCode).toBe(404);
      const own = await app.inject({
        method: 'GET',
        url: String(location),
        headers: { authorization: `Bearer ${await token(['intake-agent'])}` },
      });
      expect(own.json()).toEqual({ name: 'mine' });
    });
  });

  describe('bad input', () => {
    it('answers 400 naming every offending field', async () => {
      const response = await post({ name: '', count: -1, nested: { code: 'z' } });
      expect(response.statusCode).toBe(400);
      expect(response.json().errors.map((e: { field: string }) => e.field)).toEqual([
        'body.name',
        'body.count',
        'body.nested.code',
      ]);
    });

    it('answers 400 to malformed JSON, 415 to another media type, 413 to a body over the limit', async () => {
      const auth = { authorization: `Bearer ${await token(['intake-agent'])}` };
      const malformed = await app.inject({
        method: 'POST',
        url: '/things',
        headers: { ...auth, 'content-type': 'application/json' },
        payload: '{"name":',
      });
      expect(malformed.statusCode).toBe(400);
      const xml = await app.inject({
        method: 'POST',
        url: '/things',
        headers: { ...auth, 'content-type': 'application/xml' },
        payload: '<x/>',
      });
      expect(xml.statusCode).toBe(415);
      const large = await post({ ...good, name: 'x'.repeat(5_000) });
      expect(large.statusCode).toBe(413);
    });
  });

  describe('errors from the domain and the store', () => {
    it('maps an illegal state to 409, a stale revision to 412, and hides an unexpected error behind a 500', async () => {
      expect((await post({ ...good, name: 'locked' })).json()).toMatchObject({ status: 409, code: 'thing-locked' });
      expect((await post({ ...good, name: 'stale' })).json()).toMatchObject({ status: 412, currentRevision: 3 });
      const boom = await post({ ...good, name: 'boom' });
      expect(boom.statusCode).toBe(500);
      expect(boom.body).not.toContain('secret internals');
    });
  });

  describe('Idempotency-Key', () => {
    it('answers the same request again without running it, and refuses the key for another request', async () => {
      const before = handled;
      const first = await post(good, { 'idempotency-key': 'k-1' });
      const again = await post(good, { 'idempotency-key': 'k-1' });
      expect(first.statusCode).toBe(201);
      expect(again.statusCode).toBe(201);
      expect(again.json()).toEqual(first.json());
      expect(again.headers.location).toBe(first.headers.location);
      expect(again.headers.etag).toBe(first.headers.etag);
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(handled).toBe(before + 1);
      const other = await post({ ...good, count: 2 }, { 'idempotency-key': 'k-1' });
      expect(other.statusCode).toBe(409);
      expect(other.json()).toMatchObject({ code: 'idempotency-key-reused' });
      expect((await post(good)).json()).not.toEqual(first.json()); // without a key: a new request
    });

    it('does not keep a 5xx answer, so the client may retry it', async () => {
      const before = handled;
      await post({ ...good, name: 'boom' }, { 'idempotency-key': 'k-boom' });
      await post({ ...good, name: 'boom' }, { 'idempotency-key': 'k-boom' });
      expect(handled).toBe(before + 2);
    });
  });

  describe('operations', () => {
    it('serves health, readiness naming its checks, metrics and the OpenAPI document without a token', async () => {
      expect((await app.inject({ method: 'GET', url: '/healthz' })).json()).toEqual({ status: 'ok' });
      expect((await app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
      ready = false;
      const notReady = await app.inject({ method: 'GET', url: '/readyz' });
      ready = true;
      expect(notReady.statusCode).toBe(503);
      expect(notReady.json()).toMatchObject({ checks: { eventStore: false } });
      const metrics = await app.inject({ method: 'GET', url: '/metrics' });
      expect(metrics.body).toMatch(/http_requests_total\{method="POST",route="\/things",status="201"\} \d+/);
      const openapi = (await app.inject({ method: 'GET', url: '/docs/json' })).json();
      expect(openapi.openapi).toBe('3.1.0');
      expect(openapi.paths['/things'].post.requestBody.content['application/json'].schema.required).toEqual([
        'name',
        'count',
        'nested',
      ]);
      expect((await app.inject({ method: 'GET', url: '/docs' })).statusCode).toBeLessThan(400);
    });
  });
});

describe('rate limiting per client', () => {
  it('answers 429 problem+json with Retry-After once a client is over its limit', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'bk-http-rl-'));
    const keys = await LocalKeys.loadOrCreate(dir);
    const app = await createHttpApp({
      logger: createLogger({ service: 'test', level: 'silent' }),
      verifier: keys,
      sql: pgliteSql(await PGlite.create()),
      openapi: { title: 'rl', version: '1' },
      rateLimit: { max: 3, timeWindowMs: 60_000 },
    });
    app.get('/ping', async () => ({ pong: true }));
    const headers = { authorization: `Bearer ${await keys.sign({ subject: 'a', tenantId: 't', roles: ['admin'] })}` };
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await app.inject({ method: 'GET', url: '/ping', headers })).statusCode);
    expect(statuses).toEqual([200, 200, 200, 429]);
    const limited = await app.inject({ method: 'GET', url: '/ping', headers });
    expect(limited.json()).toMatchObject({ status: 429, code: 'rate-limited' });
    expect(limited.headers['retry-after']).toBeDefined();
    const otherClient = {
      authorization: `Bearer ${await keys.sign({ subject: 'b', tenantId: 't', roles: ['admin'] })}`,
    };
    expect((await app.inject({ method: 'GET', url: '/ping', headers: otherClient })).statusCode).toBe(200);
    await app.close();
    await rm(dir, { recursive: true, force: true });
  });
});
