import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { event } from '../event-store.contract.ts';
import { verifyStream } from '../hashing.ts';
import { PostgresEventStore } from './postgres-event-store.ts';

describe('the embedded store in a data directory', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it('keeps its events, hash chain and positions across a restart, and continues from them', async () => {
    const dir = join(await mkdtemp(join(tmpdir(), 'bk-store-')), 'eventstore');
    dirs.push(dir);
    const first = await PostgresEventStore.embedded(dir);
    await first.append('intakeCase-1', [event('CaseOpened', { n: 1 }), event('CaseWithdrawn', { n: 2 })], 'no-stream');
    await first.close();

    const second = await PostgresEventStore.embedded(dir);
    expect((await second.readStream('intakeCase-1')).map((e) => e.type)).toEqual(['CaseOpened', 'CaseWithdrawn']);
    const next = await second.append('intakeCase-1', [event('CaseReopened')], { revision: 1 });
    expect(next).toMatchObject({ nextExpectedRevision: 2, position: 3 });
    expect(await verifyStream(second, 'intakeCase-1')).toMatchObject({ ok: true, events: 3 });
    await second.close();
  });
});
