import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

  it('answers its health route with every mounted service', async () => {
    const response = await app.inject({ method: 'GET', url: '/healthz' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ status: 'ok', mode: 'embedded', services: services.map((s) => s.name) });
  });

  it.each(services.map((s) => s.name))('mounts the %s service under its prefix', async (name) => {
    const response = await app.inject({ method: 'GET', url: `/${name}/healthz` });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ service: name, status: 'ok' });
  });

  it('is ready once its embedded event store answers', async () => {
    const response = await app.inject({ method: 'GET', url: '/readyz' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ status: 'ready', eventStore: { head: 0 } });
    expect((await stat(join(dataDir, 'eventstore'))).isDirectory()).toBe(true);
  });

  it('answers 404 for a route no service owns', async () => {
    expect((await app.inject({ method: 'GET', url: '/nowhere' })).statusCode).toBe(404);
  });
});
