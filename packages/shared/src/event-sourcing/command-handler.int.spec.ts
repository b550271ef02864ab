import { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handleCommand } from './command-handler.ts';
import { VersionConflictError } from './errors.ts';
import { uuidv7 } from './ids.ts';
import { PostgresEventStore } from './postgres/postgres-event-store.ts';
import { pgliteSql } from './postgres/sql.ts';
import { type TallyCommand, type TallyEvent, tallyDecider } from './sample-counter.fixture.ts';
import type { StoredEvent } from './types.ts';

const decode = (e: StoredEvent): TallyEvent | undefined =>
  e.type === 'ItemCounted' || e.type === 'TallyClosed' ? ({ type: e.type, data: e.data } as TallyEvent) : undefined;
const now = '2026-11-25T10:00:00.000Z';
const context = { tenantId: 'tenant-a', actor: { id: 'agent-1', role: 'intake-agent' }, correlationId: 'corr-1' };

describe('the command handler on the embedded store', () => {
  let store: PostgresEventStore;
  beforeAll(async () => {
    store = await PostgresEventStore.open(pgliteSql(await PGlite.create()));
  });
  afterAll(async () => store.close());

  const handler = (stream: string, retries = 0) => ({ store, decider: tallyDecider, decode, stream, retries });
  const count = (item: string): TallyCommand => ({ type: 'CountItem', tallyId: 't', item, now });

  it('loads, decides and appends, stamping the metadata', async () => {
    const stream = `tally-${uuidv7()}`;
    const first = await handleCommand(handler(stream), count('a'), { ...context, caseId: 'case-1' });
    expect(first).toMatchObject({ revision: 0, replayed: false, state: { status: 'open', items: ['a'] } });
    const second = await handleCommand(handler(stream), count('b'), context);
    expect(second.state).toEqual({ status: 'open', items: ['a', 'b'] });
    const [stored] = await store.readStream(stream);
    expect(stored?.metadata).toEqual({ ...context, caseId: 'case-1' });
  });

  it('refuses a stale expected revision (If-Match) without deciding', async () => {
    const stream = `tally-${uuidv7()}`;
    await handleCommand(handler(stream), count('a'), context);
    await handleCommand(handler(stream), count('b'), context);
    await expect(handleCommand(handler(stream), count('c'), { ...context, expectedRevision: 0 })).rejects.toMatchObject(
      {
        actualRevision: 1,
      },
    );
    expect(await store.readStream(stream)).toHaveLength(2);
  });

  it('appends nothing when the decider decides nothing', async () => {
    const stream = `tally-${uuidv7()}`;
    const result = await handleCommand(handler(stream), { type: 'CloseTally', tallyId: 't', now }, context);
    expect(result).toMatchObject({ events: [], revision: -1 });
    expect(await store.getStream(stream)).toBeUndefined();
  });

  it('makes a retried command with the same idempotency key a no-op', async () => {
    const stream = `tally-${uuidv7()}`;
    const keyed = { ...context, idempotencyKey: 'msg-42' };
    await handleCommand(handler(stream), count('a'), keyed);
    // A redelivery decides the same events; their ids come from the key, so the store's idempotent append absorbs them.
    const again = await handleCommand(handler(stream), count('a'), keyed);
    expect(again).toMatchObject({ replayed: true, revision: 0 });
    const other = await handleCommand(handler(stream), count('a'), { ...keyed, idempotencyKey: 'msg-43' });
    expect(other).toMatchObject({ replayed: false, revision: 1 });
    expect(await store.readStream(stream)).toHaveLength(2);
    // The same request again, with the If-Match it had and another trace: still the first answer, nothing written.
    const retried = await handleCommand(handler(stream), count('a'), {
      ...keyed,
      expectedRevision: -1,
      traceparent: 't2',
    });
    expect(retried).toMatchObject({ replayed: true, events: [] });
    expect(await store.readStream(stream)).toHaveLength(2);
  });

  it('appends to a stream expected to be new without reading it, and falls back to a load when it is not', async () => {
    const reads: string[] = [];
    const watched = new Proxy(store, {
      get(target, property, receiver) {
        const value = Reflect.get(target, property, receiver);
        if (property === 'readStream' || property === 'getStream') {
          return (...args: unknown[]) => {
            reads.push(String(property));
            return (value as (...a: unknown[]) => unknown).apply(target, args);
          };
        }
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const expecting = (stream: string) => ({ ...handler(stream), store: watched, expectNew: true });
    const stream = `tally-${uuidv7()}`;
    const keyed = { ...context, idempotencyKey: 'new-1' };
    const first = await handleCommand(expecting(stream), count('a'), keyed);
    expect(first).toMatchObject({ revision: 0, replayed: false, state: { items: ['a'] } });
    expect(reads).toEqual([]); // decided on the initial state, appended expecting no stream
    // The same keyed command again (a redelivery): the conflict leads to the load, which finds it done.
    const again = await handleCommand(expecting(stream), count('a'), keyed);
    expect(again).toMatchObject({ revision: 0, replayed: true, events: [] });
    // A redelivery whose metadata differs (another trace, another correlation id): the store refuses it as an
    // idempotency conflict, and the load behind it still answers it as replayed.
    const redelivered = await handleCommand(expecting(stream), count('a'), { ...keyed, correlationId: 'corr-2' });
    expect(redelivered).toMatchObject({ revision: 0, replayed: true, events: [] });
    // Another command on it, wrongly expected new: decided on the loaded state, not on the initial one.
    const other = await handleCommand(expecting(stream), count('b'), context);
    expect(other).toMatchObject({ revision: 1, state: { items: ['a', 'b'] } });
    expect(reads.length).toBeGreaterThan(0);
    expect((await store.readStream(stream)).map((e) => e.data)).toMatchObject([{ item: 'a' }, { item: 'b' }]);
  });

  it('writes to a stream whose events retention hides, at its real revision', async () => {
    const stream = `tally-${uuidv7()}`;
    await handleCommand(handler(stream), count('a'), context);
    await store.setStreamMetadata(stream, { truncateBefore: 1 });
    const next = await handleCommand(handler(stream), count('b'), context);
    expect(next).toMatchObject({ revision: 1, state: { status: 'open', items: ['b'] } });
  });

  it('retries concurrent writers for internal callers, and lets them collide without retries', async () => {
    const stream = `tally-${uuidv7()}`;
    await handleCommand(handler(stream), count('start'), context);
    const results = await Promise.allSettled(
      ['a', 'b', 'c', 'd'].map((item) => handleCommand(handler(stream, 10), count(item), context)),
    );
    expect(results.every((r) => r.status === 'fulfilled')).toBe(true);
    expect((await store.readStream(stream)).map((e) => (e.data as { item: string }).item).sort()).toEqual([
      'a',
      'b',
      'c',
      'd',
      'start',
    ]);

    const unretried = await Promise.allSettled(
      ['x', 'y', 'z'].map((item) => handleCommand(handler(stream), count(item), context)),
    );
    expect(unretried.filter((r) => r.status === 'rejected').length).toBeGreaterThan(0);
    for (const r of unretried) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(VersionConflictError);
  });
});
