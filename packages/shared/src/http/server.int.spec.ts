import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { importJWK, type JWK, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { DomainError } from '../event-sourcing/decider.ts';
import { VersionConflictError } from '../event-sourcing/errors.ts';
import { pgliteSql } from '../event-sourcing/postgres/sql.ts';
import { createLogger } from '../observability/logger.ts';
import { AUDIENCE, LOCAL_ISSUER, LocalKeys, principalOf, type Role, requireRole } from './auth.ts';
import { locationOf } from './location.ts';
import { notFound } from './problem.ts';
import { createHttpApp, type HttpApp, type HttpAppOptions } from './server.ts';

class ThingLocked extends DomainError {
  readonly code = 'thing-locked';
  readonly kind = 'illegal-state' as const;
}

const thingBody = z.object({
  name: z.string().min(1),
  count: z.number().int().min(0),
  nested: z.object({ code: z.enum(['a', 'b']) }),
});

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const API_CSP = "default-src 'none';frame-ancestors 'none'";
const CHALLENGE = 'Bearer realm="buergerkoffer"';
const INVALID_TOKEN = 'Bearer realm="buergerkoffer", error="invalid_token"';
const METRICS_TOKEN = 'metrics-scraper-token-0123456789abcdef';

/** A test's app on its own keys and in-memory database; `close` removes both. */
async function testApp(options: Partial<HttpAppOptions> = {}) {
  const dir = await mkdtemp(join(tmpdir(), 'bk-http-'));
  const keys = await LocalKeys.loadOrCreate(dir);
  const app = await createHttpApp({
    logger: createLogger({ service: 'test', level: 'silent' }),
    verifier: keys,
    sql: pgliteSql(await PGlite.create()),
    openapi: { title: 'Test service', version: '1.0.0' },
    ...options,
  });
  const bearer = async (roles: readonly Role[] = ['admin'], tenantId = 'tenant-a', subject = 'agent-1') =>
    `Bearer ${await keys.sign({ subject, tenantId, roles })}`;
  /** Signs any claims with the app's own key: what `LocalKeys.sign` would never issue. */
  const signRaw = async (claims: Record<string, unknown>) => {
    const { privateJwk } = JSON.parse(await readFile(join(dir, 'auth', 'signing-key.json'), 'utf8')) as {
      privateJwk: JWK;
    };
    return new SignJWT(claims)
      .setProtectedHeader({ alg: 'ES256', kid: privateJwk.kid ?? 'local' })
      .sign(await importJWK(privateJwk, 'ES256'));
  };
  const close = async () => {
    await app.close();
    await rm(dir, { recursive: true, force: true });
  };
  return { app, keys, bearer, signRaw, close };
}

/** One raw HTTP exchange on a fresh connection: what the server wrote until it closed the connection. */
async function rawExchange(port: number, request: string | Buffer) {
  const text = await new Promise<string>((resolve) => {
    const chunks: Buffer[] = [];
    const socket = connect(port, '127.0.0.1', () => socket.write(request));
    socket.on('data', (chunk) => chunks.push(chunk));
    // The server may close while the request is still being written (an oversized header): read what came.
    socket.on('error', () => undefined);
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
  return parseResponses(text);
}

function parseResponses(text: string) {
  const responses: { status: number; headers: Record<string, string>; body: string }[] = [];
  let rest = text;
  while (rest.length > 0) {
    const end = rest.indexOf('\r\n\r\n');
    if (end < 0) break;
    const [statusLine = '', ...lines] = rest.slice(0, end).split('\r\n');
    const headers: Record<string, string> = {};
    for (const line of lines) {
      const colon = line.indexOf(':');
      headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    const length = Number(headers['content-length'] ?? 0);
    const body = rest.slice(end + 4, end + 4 + length);
    responses.push({ status: Number(statusLine.split(' ')[1]), headers, body });
    rest = rest.slice(end + 4 + length);
  }
  return responses;
}

describe('the shared HTTP runtime', () => {
  let app: HttpApp;
  let keys: LocalKeys;
  let signRaw: (claims: Record<string, unknown>) => Promise<string>;
  let closeApp: () => Promise<void>;
  let handled = 0;
  let ready = true;
  const things = new Map<string, { tenantId: string; name: string }>();
  const token = (roles: readonly Role[], tenantId = 'tenant-a') => keys.sign({ subject: 'agent-1', tenantId, roles });

  beforeAll(async () => {
    const built = await testApp({
      readiness: async () => ({ eventStore: ready }),
      bodyLimitBytes: 2_048,
      rateLimit: { max: 1_000, timeWindowMs: 60_000 },
      metricsToken: METRICS_TOKEN,
    });
    ({ app, keys, signRaw } = built);
    closeApp = built.close;
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
        return reply.code(201).header('location', locationOf(request, id)).header('etag', 'W/"0"').send({ id });
      },
    );
    app.get('/things/:id', { schema: { params: z.object({ id: z.string() }) } }, async (request) => {
      const thing = things.get(request.params.id);
      if (!thing || thing.tenantId !== principalOf(request).tenantId) throw notFound();
      return { name: thing.name };
    });
    app.get('/me', async (request) => ({ ...principalOf(request), requestId: request.id }));
    app.get('/page', async (_request, reply) =>
      reply
        .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'")
        .type('text/html')
        .send(''),
    );
    // As a service is mounted in the embedded system: under its prefix.
    await app.register(
      async (intake) => {
        intake.post('/cases/:caseId/parts', async (request, reply) =>
          reply.code(201).header('location', locationOf(request, 'part 1')).send({}),
        );
      },
      { prefix: '/intake' },
    );
    await app.ready();
  });
  afterAll(async () => closeApp());

  const post = async (body: unknown, headers: Record<string, string> = {}) =>
    app.inject({
      method: 'POST',
      url: '/things',
      headers: { authorization: `Bearer ${await token(['intake-agent'])}`, ...headers },
      payload: body as Record<string, unknown>,
    });
  const good = { name: 'x', count: 1, nested: { code: 'a' } };
  const me = async (authorization: string) => app.inject({ method: 'GET', url: '/me', headers: { authorization } });

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
      // Beyond the minute of clock skew allowed.
      const expired = await keys.sign({ subject: 'a', tenantId: 'tenant-a', roles: ['intake-agent'] }, -120);
      expect((await post(good, { authorization: `Bearer ${expired}` })).statusCode).toBe(401);
    });

    it('challenges with WWW-Authenticate: the realm, and invalid_token where a token was refused', async () => {
      const none = await me('');
      expect(none.headers['www-authenticate']).toBe(CHALLENGE);
      const basic = await me('Basic YTpi');
      expect(basic.headers['www-authenticate']).toBe(CHALLENGE);
      const refused = await me('Bearer not.a.token');
      expect(refused.statusCode).toBe(401);
      expect(refused.headers['www-authenticate']).toBe(INVALID_TOKEN);
      expect(refused.json()).toMatchObject({ status: 401, code: 'unauthenticated', title: 'Unauthorized' });
      expect(refused.json().detail).toEqual(expect.any(String));
    });

    it('refuses a validly signed token without exp or iat, issued over 12 h ago, or issued in the future', async () => {
      const now = Math.floor(Date.now() / 1_000);
      const base = { sub: 'agent-1', tenant: 'tenant-a', roles: ['admin'], iss: LOCAL_ISSUER, aud: AUDIENCE };
      // The control: the same claims with both times are good.
      expect((await me(`Bearer ${await signRaw({ ...base, iat: now, exp: now + 600 })}`)).statusCode).toBe(200);
      const refused = [
        { ...base, iat: now }, // no exp: would be good forever
        { ...base, exp: now + 600 }, // no iat
        { ...base, iat: now - 13 * 3600, exp: now + 3600 }, // unexpired, but older than 12 h
        { ...base, iat: now + 365 * 86_400, exp: now + 366 * 86_400 }, // issued a year from now
      ];
      for (const claims of refused) {
        const response = await me(`Bearer ${await signRaw(claims)}`);
        expect(response.statusCode, JSON.stringify(claims)).toBe(401);
        expect(response.headers['www-authenticate']).toBe(INVALID_TOKEN);
      }
    });

    it('allows a minute of clock skew, and no more', async () => {
      const now = Math.floor(Date.now() / 1_000);
      const base = { sub: 'agent-1', tenant: 'tenant-a', roles: ['admin'], iss: LOCAL_ISSUER, aud: AUDIENCE };
      const status = async (claims: Record<string, unknown>) =>
        (await me(`Bearer ${await signRaw({ ...base, ...claims })}`)).statusCode;
      expect(await status({ iat: now - 600, exp: now - 30 })).toBe(200);
      expect(await status({ iat: now + 30, exp: now + 600 })).toBe(200);
      expect(await status({ iat: now - 600, exp: now - 90 })).toBe(401);
      expect(await status({ iat: now + 90, exp: now + 600 })).toBe(401);
    });

    it('signs no token that would outlive the maximum token age', async () => {
      await expect(keys.sign({ subject: 'a', tenantId: 'tenant-a', roles: ['admin'] }, 13 * 3600)).rejects.toThrow(
        RangeError,
      );
      const longest = await keys.sign({ subject: 'a', tenantId: 'tenant-a', roles: ['admin'] }, 12 * 3600);
      expect((await me(`Bearer ${longest}`)).statusCode).toBe(200);
    });

    it('lower-cases the tenant, and refuses a tenant that is no plain name', async () => {
      const upper = await me(`Bearer ${await keys.sign({ subject: 'a', tenantId: 'BOCHUM', roles: ['admin'] })}`);
      expect(upper.json()).toMatchObject({ tenantId: 'bochum', subject: 'a' });
      for (const tenantId of ['../../etc', 'bo chum', 'bo_chum', 'bochum/x', '\u212Aoeln']) {
        const response = await me(`Bearer ${await keys.sign({ subject: 'a', tenantId, roles: ['admin'] })}`);
        expect(response.statusCode, tenantId).toBe(401);
        expect(response.headers['www-authenticate']).toBe(INVALID_TOKEN);
      }
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

  describe('request ids', () => {
    const admin = async () => `Bearer ${await token(['admin'])}`;

    it('keeps a well-formed X-Request-Id and echoes it', async () => {
      const response = await app.inject({
        method: 'GET',
        url: '/me',
        headers: { authorization: await admin(), 'x-request-id': 'client-42:retry.1' },
      });
      expect(response.headers['x-request-id']).toBe('client-42:retry.1');
      expect(response.json().requestId).toBe('client-42:retry.1');
    });

    it('replaces an oversized or marked-up id, or none, by a random UUID, echoed on every answer', async () => {
      const hostile = `<script>alert(1)</script>${'a'.repeat(4_004)}`;
      const replaced = await app.inject({
        method: 'GET',
        url: '/me',
        headers: { authorization: await admin(), 'x-request-id': hostile },
      });
      expect(replaced.json().requestId).toMatch(UUID);
      expect(replaced.headers['x-request-id']).toBe(replaced.json().requestId);
      for (const id of ['a'.repeat(65), '-leading-dash', 'with space', 'semi;colon']) {
        const response = await app.inject({ method: 'GET', url: '/healthz', headers: { 'x-request-id': id } });
        expect(response.headers['x-request-id'], id).toMatch(UUID);
      }
      const first = await app.inject({ method: 'GET', url: '/healthz' });
      const second = await app.inject({ method: 'GET', url: '/healthz' });
      expect(first.headers['x-request-id']).toMatch(UUID);
      expect(second.headers['x-request-id']).toMatch(UUID);
      expect(first.headers['x-request-id']).not.toBe(second.headers['x-request-id']);
      // Problems carry it too.
      expect((await app.inject({ method: 'GET', url: '/me' })).headers['x-request-id']).toMatch(UUID);
      expect((await app.inject({ method: 'GET', url: '/nowhere' })).headers['x-request-id']).toMatch(UUID);
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
      for (const type of ['application/xml', 'text/plain']) {
        const other = await app.inject({
          method: 'POST',
          url: '/things',
          headers: { ...auth, 'content-type': type },
          payload: JSON.stringify(good),
        });
        expect(other.statusCode, type).toBe(415);
        expect(other.json()).toMatchObject({ code: 'unsupported-media-type' });
      }
      const large = await post({ ...good, name: 'x'.repeat(5_000) });
      expect(large.statusCode).toBe(413);
    });

    it('answers 400 malformed-body to invalid UTF-8, U+0000 or a lone surrogate; reads real UTF-8 as sent', async () => {
      const auth = { authorization: `Bearer ${await token(['intake-agent'])}`, 'content-type': 'application/json' };
      const send = (payload: Buffer | string) => app.inject({ method: 'POST', url: '/things', headers: auth, payload });
      const around = (inner: Buffer) =>
        Buffer.concat([Buffer.from('{"name":"'), inner, Buffer.from('","count":1,"nested":{"code":"a"}}')]);
      for (const bytes of [[0xc3, 0x28], [0xff], [0xed, 0xa0, 0x80], [0xc0, 0xaf]]) {
        const response = await send(around(Buffer.from(bytes)));
        expect(response.statusCode, bytes.join(' ')).toBe(400);
        expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
        expect(response.json()).toMatchObject({ status: 400, code: 'malformed-body', title: 'Bad Request' });
      }
      for (const escaped of ['a\\u0000b', '\\ud800']) {
        const response = await send(around(Buffer.from(escaped)));
        expect(response.json(), escaped).toMatchObject({ status: 400, code: 'malformed-body' });
      }
      const poisoned = await send('{"name":"x","count":1,"nested":{"code":"a"},"__proto__":{"admin":true}}');
      expect(poisoned.json()).toMatchObject({ status: 400, code: 'malformed-body' });
      const created = await send(around(Buffer.from('Jürgen Öztürk 😀', 'utf8')));
      expect(created.statusCode).toBe(201);
      expect(things.get(created.json().id)?.name).toBe('Jürgen Öztürk 😀');
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

  describe('Location', () => {
    it('names the created resource by its route, without the request’s query string', async () => {
      const created = await app.inject({
        method: 'POST',
        url: '/things?next=//evil.example/x',
        headers: { authorization: `Bearer ${await token(['intake-agent'])}` },
        payload: good,
      });
      expect(created.statusCode).toBe(201);
      expect(created.headers.location).toBe(`/things/${created.json().id}`);
    });

    it('keeps the mount prefix and the path parameters, encoded', async () => {
      const created = await app.inject({
        method: 'POST',
        url: '/intake/cases/case%201/parts?next=//evil.example/x',
        headers: { authorization: `Bearer ${await token(['intake-agent'])}` },
        payload: {},
      });
      expect(created.statusCode).toBe(201);
      expect(created.headers.location).toBe('/intake/cases/case%201/parts/part%201');
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

  describe('security headers', () => {
    it('sends CSP, nosniff, no-referrer and no framing on every answer, and leaves caching to the routes', async () => {
      const answers = [
        await app.inject({ method: 'GET', url: '/healthz' }),
        await me(`Bearer ${await token(['admin'])}`),
        await me(''),
        await app.inject({
          method: 'GET',
          url: '/nowhere',
          headers: { authorization: `Bearer ${await token(['admin'])}` },
        }),
        await post({ name: '' }),
      ];
      expect(answers.map((a) => a.statusCode)).toEqual([200, 200, 401, 404, 400]);
      for (const answer of answers) {
        expect(answer.headers['content-security-policy']).toBe(API_CSP);
        expect(answer.headers['x-content-type-options']).toBe('nosniff');
        expect(answer.headers['referrer-policy']).toBe('no-referrer');
        expect(answer.headers['x-frame-options']).toBe('DENY');
        expect(answer.headers['cache-control']).toBeUndefined();
      }
    });

    it('lets a route set its own policy (a printable page with its styles)', async () => {
      const page = await app.inject({
        method: 'GET',
        url: '/page',
        headers: { authorization: `Bearer ${await token(['admin'])}` },
      });
      expect(page.statusCode).toBe(200);
      expect(page.headers['content-security-policy']).toBe("default-src 'none'; style-src 'unsafe-inline'");
      expect(page.headers['x-content-type-options']).toBe('nosniff');
    });

    it('serves the docs UI with a policy that lets it load its own scripts, styles and document', async () => {
      const page = await app.inject({ method: 'GET', url: '/docs/' });
      expect(page.statusCode).toBe(200);
      expect(page.headers['content-type']).toMatch(/^text\/html/);
      const csp = String(page.headers['content-security-policy']);
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("connect-src 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).not.toContain("'unsafe-eval'");
      const assets = [...page.body.matchAll(/(?:src|href)="\.\/(static\/[^"]+)"/g)].map((m) => m[1]);
      expect(assets).toEqual(
        expect.arrayContaining([
          'static/swagger-ui-bundle.js',
          'static/swagger-initializer.js',
          'static/swagger-ui.css',
        ]),
      );
      for (const asset of assets) {
        const response = await app.inject({ method: 'GET', url: `/docs/${asset}` });
        expect(response.statusCode, asset).toBe(200);
        expect(response.headers['content-security-policy'], asset).toContain("script-src 'self'");
      }
      const initializer = await app.inject({ method: 'GET', url: '/docs/static/swagger-initializer.js' });
      expect(initializer.body).toContain('json'); // it loads the document from ./json, same origin
      expect((await app.inject({ method: 'GET', url: '/docs/json' })).statusCode).toBe(200);
    });
  });

  describe('operations', () => {
    it('serves health, readiness naming its checks and the OpenAPI document without a token', async () => {
      expect((await app.inject({ method: 'GET', url: '/healthz' })).json()).toEqual({ status: 'ok' });
      expect((await app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
      ready = false;
      const notReady = await app.inject({ method: 'GET', url: '/readyz' });
      ready = true;
      expect(notReady.statusCode).toBe(503);
      expect(notReady.json()).toMatchObject({ checks: { eventStore: false } });
      const openapi = (await app.inject({ method: 'GET', url: '/docs/json' })).json();
      expect(openapi.openapi).toBe('3.1.0');
      expect(openapi.paths['/things'].post.requestBody.content['application/json'].schema.required).toEqual([
        'name',
        'count',
        'nested',
      ]);
      expect((await app.inject({ method: 'GET', url: '/docs' })).statusCode).toBeLessThan(400);
    });

    it('serves the metrics to the scraper’s token or an admin, and to no one else', async () => {
      const metrics = (authorization?: string) =>
        app.inject({ method: 'GET', url: '/metrics', headers: authorization ? { authorization } : {} });
      const anonymous = await metrics();
      expect(anonymous.statusCode).toBe(401);
      expect(anonymous.headers['www-authenticate']).toBe(CHALLENGE);
      expect(anonymous.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(anonymous.body).not.toContain('http_requests_total');
      const wrong = await metrics(`Bearer ${METRICS_TOKEN}x`);
      expect(wrong.statusCode).toBe(401);
      expect(wrong.headers['www-authenticate']).toBe(INVALID_TOKEN);
      expect((await metrics(`Bearer ${await token(['intake-agent'])}`)).statusCode).toBe(403);
      const scraped = await metrics(`Bearer ${METRICS_TOKEN}`);
      expect(scraped.statusCode).toBe(200);
      expect(scraped.body).toMatch(/http_requests_total\{method="POST",route="\/things",status="201"\} \d+/);
      expect((await metrics(`bearer ${await token(['admin'])}`)).statusCode).toBe(200);
    });
  });
});

describe('metrics without a configured token', () => {
  it('answer only an authenticated admin', async () => {
    const { app, bearer, close } = await testApp();
    try {
      await app.ready();
      const metrics = (authorization: string) =>
        app.inject({ method: 'GET', url: '/metrics', headers: { authorization } });
      expect((await metrics(await bearer(['admin']))).statusCode).toBe(200);
      expect((await metrics(await bearer(['auditor']))).statusCode).toBe(403);
      expect((await metrics(`Bearer ${METRICS_TOKEN}`)).statusCode).toBe(401);
      expect((await metrics('Bearer ')).statusCode).toBe(401);
    } finally {
      await close();
    }
  });
});

describe('rate limiting per client', () => {
  const limited = async () => {
    const built = await testApp({ rateLimit: { max: 3, timeWindowMs: 60_000 }, metricsToken: METRICS_TOKEN });
    built.app.get('/ping', async () => ({ pong: true }));
    await built.app.ready();
    return built;
  };

  it('answers 429 problem+json with Retry-After once a client is over its limit', async () => {
    const { app, bearer, close } = await limited();
    try {
      const headers = { authorization: await bearer(['admin'], 't', 'a') };
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++)
        statuses.push((await app.inject({ method: 'GET', url: '/ping', headers })).statusCode);
      expect(statuses).toEqual([200, 200, 200, 429]);
      const over = await app.inject({ method: 'GET', url: '/ping', headers });
      expect(over.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(over.json()).toMatchObject({ status: 429, code: 'rate-limited', title: 'Too Many Requests' });
      expect(Number(over.headers['retry-after'])).toBeGreaterThan(0);
      const otherClient = { authorization: await bearer(['admin'], 't', 'b') };
      expect((await app.inject({ method: 'GET', url: '/ping', headers: otherClient })).statusCode).toBe(200);
    } finally {
      await close();
    }
  });

  it('counts a caller by its verified tenant and subject, however the header is spelt or the token renewed', async () => {
    const { app, keys, close } = await limited();
    try {
      const sign = () => keys.sign({ subject: 'agent-1', tenantId: 'bochum', roles: ['admin'] });
      const [first, second] = [await sign(), await sign()];
      const spellings = [`Bearer ${first}`, `bearer  ${first}`, `BEARER ${second}`, `Bearer\t${first}`];
      const statuses: number[] = [];
      for (const authorization of spellings) {
        statuses.push((await app.inject({ method: 'GET', url: '/ping', headers: { authorization } })).statusCode);
      }
      expect(statuses).toEqual([200, 200, 200, 429]);
      // The same subject in another tenant is another caller.
      const elsewhere = await keys.sign({ subject: 'agent-1', tenantId: 'herne', roles: ['admin'] });
      expect(
        (await app.inject({ method: 'GET', url: '/ping', headers: { authorization: `Bearer ${elsewhere}` } }))
          .statusCode,
      ).toBe(200);
    } finally {
      await close();
    }
  });

  it('counts refused tokens against the address: guessing meets 429, the address’s verified callers do not', async () => {
    const { app, bearer, close } = await limited();
    try {
      const guess = (remoteAddress = '127.0.0.1') =>
        app.inject({
          method: 'GET',
          url: '/ping',
          remoteAddress,
          headers: { authorization: 'Bearer guessed.token.x' },
        });
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++) statuses.push((await guess()).statusCode);
      expect(statuses).toEqual([401, 401, 401, 429]);
      const limitedGuess = await guess();
      expect(limitedGuess.json()).toMatchObject({ status: 429, code: 'rate-limited' });
      expect(limitedGuess.headers['retry-after']).toBeDefined();
      // No token at all: the same address, the same bucket.
      expect((await app.inject({ method: 'GET', url: '/ping' })).statusCode).toBe(429);
      // Another address has its own.
      expect((await guess('10.0.0.2')).statusCode).toBe(401);
      // A verified caller at the same address is counted as itself.
      const own = await app.inject({ method: 'GET', url: '/ping', headers: { authorization: await bearer() } });
      expect(own.statusCode).toBe(200);
    } finally {
      await close();
    }
  });

  it('never limits health, readiness or metrics, however often one address asks', async () => {
    const { app, close } = await limited();
    try {
      // The address is over its limit: the control, an ordinary route, is refused.
      for (let i = 0; i < 4; i++) await app.inject({ method: 'GET', url: '/ping' });
      expect((await app.inject({ method: 'GET', url: '/ping' })).statusCode).toBe(429);
      const probes: number[] = [];
      for (let i = 0; i < 25; i++) {
        probes.push((await app.inject({ method: 'GET', url: '/healthz' })).statusCode);
        probes.push((await app.inject({ method: 'GET', url: '/readyz' })).statusCode);
        const metrics = await app.inject({
          method: 'GET',
          url: '/metrics',
          headers: { authorization: `Bearer ${METRICS_TOKEN}` },
        });
        probes.push(metrics.statusCode);
      }
      expect(new Set(probes)).toEqual(new Set([200]));
    } finally {
      await close();
    }
  });
});

describe('problem+json where fastify and Node answer before any route', () => {
  let app: HttpApp;
  let port: number;
  let closeApp: () => Promise<void>;
  let closingStarted: Promise<void>;
  let release: () => void = () => undefined;
  let entered: Promise<void>;

  beforeAll(async () => {
    const built = await testApp();
    app = built.app;
    closeApp = built.close;
    app.get('/things/:id', { config: { public: true } }, async () => ({ ok: true }));
    let enter: () => void = () => undefined;
    entered = new Promise((resolve) => {
      enter = resolve;
    });
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    app.get('/slow', { config: { public: true } }, async () => {
      enter();
      await released;
      return { slow: true };
    });
    // Runs after the runtime's own preClose hook, which starts refusing new requests.
    closingStarted = new Promise((resolve) => app.addHook('preClose', async () => resolve()));
    await app.listen({ port: 0, host: '127.0.0.1' });
    const address = app.server.address();
    port = typeof address === 'object' && address ? address.port : 0;
  });
  afterAll(async () => {
    release();
    await closeApp();
  });

  const expectProblem = (
    response: { status: number; headers: Record<string, string>; body: string } | undefined,
    status: number,
    code: string,
  ) => {
    expect(response?.status).toBe(status);
    expect(response?.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(JSON.parse(response?.body ?? '{}')).toMatchObject({
      status,
      code,
      title: expect.any(String),
      detail: expect.any(String),
    });
    expect(response?.headers['x-request-id']).toMatch(UUID);
    expect(response?.headers['content-security-policy']).toBe(API_CSP);
    expect(response?.headers['x-content-type-options']).toBe('nosniff');
  };

  it('answers 400 problem+json to a URL that is not validly percent-encoded', async () => {
    const [response] = await rawExchange(port, 'GET /things/%ZZ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expectProblem(response, 400, 'bad-url');
    expect(response?.body).not.toContain('%ZZ');
  });

  it('answers 414 problem+json to a path parameter over 100 characters, without quoting it', async () => {
    const long = 'a'.repeat(150);
    const [response] = await rawExchange(port, `GET /things/${long} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
    expectProblem(response, 414, 'uri-too-long');
    expect(response?.body).not.toContain('aaaaaaaaaa');
    // The control: a parameter of 100 is a route's.
    const [fits] = await rawExchange(
      port,
      `GET /things/${'a'.repeat(100)} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
    );
    expect(fits?.status).toBe(200);
  });

  it('answers 431 problem+json to headers over 16 KiB, and 400 problem+json to what is not HTTP', async () => {
    const [big] = await rawExchange(
      port,
      `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(20_000)}\r\nConnection: close\r\n\r\n`,
    );
    expectProblem(big, 431, 'headers-too-large');
    const [garbage] = await rawExchange(port, 'THIS IS NOT HTTP\r\n\r\n');
    expectProblem(garbage, 400, 'bad-request');
  });

  it('answers 503 problem+json to a request arriving while it shuts down', async () => {
    const answers = new Promise<string>((resolve) => {
      const chunks: Buffer[] = [];
      const socket = connect(port, '127.0.0.1', async () => {
        socket.write('GET /slow HTTP/1.1\r\nHost: x\r\n\r\n');
        await entered;
        const closed = app.close();
        await closingStarted;
        // Pipelined on the open connection, behind the request still running.
        socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
        await new Promise((resume) => setImmediate(resume));
        release();
        await closed;
      });
      socket.on('data', (chunk) => chunks.push(chunk));
      socket.on('error', () => undefined);
      socket.on('close', () => resolve(Buffer.concat(chunks).toString('utf8')));
    });
    const [slow, refused] = parseResponses(await answers);
    expect(slow?.status).toBe(200);
    expectProblem(refused, 503, 'shutting-down');
  });
});
