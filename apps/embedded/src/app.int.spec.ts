import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalKeys } from '@buergerkoffer/shared/http';
import { createLogger } from '@buergerkoffer/shared/observability';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildEmbedded, services } from './app.ts';

describe('the embedded system', () => {
  let dataDir: string;
  let app: Awaited<ReturnType<typeof buildEmbedded>>;

  beforeAll(async () => {
    dataDir = join(await mkdtemp(join(tmpdir(), 'bk-embedded-')), 'nested', 'data');
    app = await buildEmbedded({ logger: createLogger({ service: 'test', level: 'silent' }), dataDir });
    await app.ready();
  });
  afterAll(async () => {
    await app.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('creates its data directory', async () => {
    expect((await stat(dataDir)).isDirectory()).toBe(true);
  });

  it('answers its health route, and its root names every mounted service', async () => {
    expect((await app.inject({ method: 'GET', url: '/healthz' })).json()).toEqual({ status: 'ok' });
    const response = await app.inject({ method: 'GET', url: '/' });
    expect(response.json()).toMatchObject({ mode: 'embedded', services: services.map((s) => s.name), docs: '/docs' });
  });

  it('asks for a bearer token on everything else, with problem+json', async () => {
    const response = await app.inject({ method: 'GET', url: '/nowhere' });
    expect(response.statusCode).toBe(401);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  });

  it.each(services.map((s) => s.name))('mounts the %s service under its prefix', async (name) => {
    const response = await app.inject({ method: 'GET', url: `/${name}/healthz` });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ service: name, status: 'ok' });
  });

  it('is ready once its embedded event store answers', async () => {
    const response = await app.inject({ method: 'GET', url: '/readyz' });
    expect(response.statusCode).toBe(200);
    // The dependencies, then every processor and consumer by name (each healthy).
    expect(response.json()).toEqual({
      status: 'ready',
      checks: {
        eventStore: true,
        bus: true,
        'relay:intake-case': true,
        'intake:case-list': true,
        'relay:eligibility-assessment': true,
        'eligibility:queue': true,
        'casefile:feed-hub': true,
        'intake:key-cache': true,
        'casefile:subject-cases': true,
        'casefile:erasures': true,
        'relay:scheduling-visit': true,
        'scheduling:availability': true,
        'scheduling:demand': true,
        'scheduling:holds': true,
        'scheduling:kits': true,
        'scheduling:staff': true,
        'scheduling:visit-manager': true,
        'scheduling:visits': true,
        'relay:fieldkit-outcome': true,
        'fieldkit:visits': true,
        'fieldkit:conflicts': true,
      },
    });
    expect((await stat(join(dataDir, 'eventstore'))).isDirectory()).toBe(true);
  });

  it('counts appends and reports lag on /metrics once a case was opened', async () => {
    const keys = await LocalKeys.loadOrCreate(dataDir);
    const token = await keys.sign({ subject: 'agent-1', tenantId: 'bochum', roles: ['intake-agent'] });
    const opened = await app.inject({
      method: 'POST',
      url: '/intake/cases',
      headers: { authorization: `Bearer ${token}` },
      payload: {
        applicant: {
          givenNames: 'Erika',
          familyName: 'Mustermann',
          birthDate: '1941-03-12',
          address: { street: 'Hauptstraße', houseNumber: '5', postalCode: '44787', city: 'Bochum' },
        },
        requestedServices: ['id-card'],
        mobility: { careLevel: 4, disabilityMarks: [], permanentlyHomebound: true },
        channel: 'counter',
      },
    });
    expect(opened.statusCode).toBe(201);
    const admin = await (await LocalKeys.loadOrCreate(dataDir)).sign({
      subject: 'admin-1',
      tenantId: 'bochum',
      roles: ['admin'],
    });
    const metrics = (
      await app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${admin}` } })
    ).body;
    expect(metrics).toMatch(/^eventstore_appends_total\{outcome="ok"\} [1-9]/m);
    expect(metrics).toMatch(/^eventstore_appended_events_total [1-9]/m);
    expect(metrics).toMatch(/^processor_lag_events\{processor="intake:case-list"\} \d+$/m);
  });

  it('accepts a token signed with its local key (pnpm run token) and answers 404 problem+json off its routes', async () => {
    const keys = await LocalKeys.loadOrCreate(dataDir);
    const token = await keys.sign({ subject: 'agent-1', tenantId: 'bochum', roles: ['intake-agent'] });
    const response = await app.inject({
      method: 'GET',
      url: '/intake/nowhere',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toMatchObject({ status: 404, code: 'not-found' });
  });
});
