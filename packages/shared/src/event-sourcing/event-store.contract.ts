/**
 * The one contract every EventStore adapter passes. Each adapter's `*.contract.spec.ts` calls it with a factory;
 * tests use their own stream names and categories, so one store serves the whole suite.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  IdempotencyConflictError,
  InvalidEventError,
  InvalidStreamNameError,
  PayloadTooLargeError,
  StreamDeletedError,
  VersionConflictError,
} from './errors.ts';
import { verifyStream } from './hashing.ts';
import { uuidv7 } from './ids.ts';
import { startProcessor } from './processor.ts';
import type { CheckpointStore, EventMetadata, EventStore, EventToAppend, StoredEvent } from './types.ts';

export interface ContractSubject {
  store: EventStore;
  checkpoints: CheckpointStore;
  close(): Promise<void>;
}

const tag = () => randomBytes(4).toString('hex');
/** A category of its own for each test: `c<hex>`. */
export const freshCategory = (base = 'c') => `${base}${tag()}`;
const tenantId = 'tenant-a';

export const event = (
  type: string,
  data: Record<string, unknown> = {},
  metadata: Partial<EventMetadata> = {},
): EventToAppend => ({
  id: uuidv7(),
  type,
  data: data as EventToAppend['data'],
  metadata: { tenantId, ...metadata },
});

const eventually = async (check: () => void, timeoutMs = 10_000): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      check();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
};

export function eventStoreContract(name: string, open: () => Promise<ContractSubject>): void {
  describe(`EventStore contract: ${name}`, () => {
    let subject: ContractSubject;
    let store: EventStore;
    beforeAll(async () => {
      subject = await open();
      store = subject.store;
    });
    afterAll(async () => {
      await subject?.close();
    });

    describe('a new stream', () => {
      it('takes events from revision 0 and reads them forwards and backwards, from a revision, with a limit', async () => {
        const stream = `${freshCategory()}-1`;
        const events = [event('A', { n: 0 }), event('B', { n: 1 }), event('C', { n: 2 }), event('D', { n: 3 })];
        const result = await store.append(stream, events, 'no-stream');
        expect(result).toMatchObject({ nextExpectedRevision: 3, replayed: false });

        const forwards = await store.readStream(stream);
        expect(forwards.map((e) => [e.revision, e.type, e.id])).toEqual(events.map((e, i) => [i, e.type, e.id]));
        expect(forwards.at(-1)?.position).toBe(result.position);
        expect(forwards[0]).toMatchObject({ stream, schemaVersion: 1, data: { n: 0 }, metadata: { tenantId } });
        expect(forwards[0]?.recordedAt).toBeInstanceOf(Date);

        const backwards = await store.readStream(stream, { direction: 'backwards', limit: 2 });
        expect(backwards.map((e) => e.revision)).toEqual([3, 2]);
        const fromTwo = await store.readStream(stream, { fromRevision: 2 });
        expect(fromTwo.map((e) => e.revision)).toEqual([2, 3]);
        const backFromOne = await store.readStream(stream, { direction: 'backwards', fromRevision: 1 });
        expect(backFromOne.map((e) => e.revision)).toEqual([1, 0]);
        expect(await store.getStream(stream)).toMatchObject({ revision: 3, state: 'active' });
      });

      it('reads as empty when it does not exist', async () => {
        expect(await store.readStream(`${freshCategory()}-none`)).toEqual([]);
        expect(await store.getStream(`${freshCategory()}-none`)).toBeUndefined();
      });
    });

    describe('optimistic concurrency', () => {
      it('appends at the exact expected revision and refuses a stale one with the actual revision', async () => {
        const stream = `${freshCategory()}-1`;
        await store.append(stream, [event('A'), event('B')], 'no-stream');
        const next = await store.append(stream, [event('C')], { revision: 1 });
        expect(next.nextExpectedRevision).toBe(2);
        const stale = store.append(stream, [event('D')], { revision: 1 });
        await expect(stale).rejects.toBeInstanceOf(VersionConflictError);
        await expect(stale).rejects.toMatchObject({ actualRevision: 2, stream });
        expect((await store.readStream(stream)).map((e) => e.type)).toEqual(['A', 'B', 'C']);
      });

      it('honours no-stream, exists and any', async () => {
        const stream = `${freshCategory()}-1`;
        await expect(store.append(stream, [event('A')], 'exists')).rejects.toMatchObject({ actualRevision: -1 });
        await store.append(stream, [event('A')], 'no-stream');
        await expect(store.append(stream, [event('B')], 'no-stream')).rejects.toMatchObject({ actualRevision: 0 });
        await store.append(stream, [event('B')], 'exists');
        const any = await store.append(stream, [event('C')], 'any');
        expect(any.nextExpectedRevision).toBe(2);
      });

      it('lets 50 concurrent appenders end with a gap-free revision sequence and exactly one winner per revision', async () => {
        const stream = `${freshCategory()}-race`;
        const won: number[] = [];
        let conflicts = 0;
        const appender = async (i: number) => {
          const mine = event('Raced', { appender: i });
          for (let attempt = 0; attempt < 500; attempt++) {
            const last = (await store.readStream(stream, { direction: 'backwards', limit: 1 }))[0];
            const expected = last ? { revision: last.revision } : ('no-stream' as const);
            try {
              const result = await store.append(stream, [mine], expected);
              won.push(result.nextExpectedRevision);
              return;
            } catch (error) {
              if (!(error instanceof VersionConflictError)) throw error;
              conflicts++;
            }
          }
          throw new Error(`appender ${i} never won`);
        };
        await Promise.all(Array.from({ length: 50 }, (_, i) => appender(i)));
        const events = await store.readStream(stream);
        expect(events.map((e) => e.revision)).toEqual(Array.from({ length: 50 }, (_, i) => i));
        expect(new Set(events.map((e) => (e.data as { appender: number }).appender)).size).toBe(50);
        expect([...won].sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i));
        expect(conflicts).toBeGreaterThan(0);
      });
    });

    describe('idempotency by event id', () => {
      it('treats re-appending the same events as a no-op with the same result, whatever the expected state', async () => {
        const stream = `${freshCategory()}-1`;
        const events = [event('A', { v: 1 }), event('B', { v: 2 })];
        const first = await store.append(stream, events, 'no-stream');
        const again = await store.append(stream, events, 'no-stream');
        expect(again).toEqual({ ...first, replayed: true });
        expect(await store.append(stream, events, { revision: 7 })).toEqual({ ...first, replayed: true });
        expect(await store.readStream(stream)).toHaveLength(2);
      });

      it('refuses the same id with other content, in another stream, or mixed with new events', async () => {
        const stream = `${freshCategory()}-1`;
        const original = event('A', { v: 1 });
        await store.append(stream, [original]);
        await expect(store.append(stream, [{ ...original, data: { v: 2 } }])).rejects.toBeInstanceOf(
          IdempotencyConflictError,
        );
        await expect(store.append(`${freshCategory()}-other`, [original])).rejects.toBeInstanceOf(
          IdempotencyConflictError,
        );
        await expect(store.append(stream, [original, event('B')])).rejects.toMatchObject({ eventIds: [original.id] });
        expect(await store.readStream(stream)).toHaveLength(1);
      });
    });

    describe('all events', () => {
      it('are read in global order from a position, filtered by stream category and event type prefix', async () => {
        const head = await store.headPosition();
        const orders = freshCategory('order');
        const visits = freshCategory('visit');
        await store.append(`${orders}-1`, [event('OrderPlaced'), event('OrderShipped')]);
        await store.append(`${visits}-1`, [event('VisitPlanned')]);
        await store.append(`${orders}-2`, [event('OrderPlaced')]);

        const mine = new Set([orders, visits]);
        const all = (await store.readAll({ afterPosition: head })).filter((e) =>
          mine.has(e.stream.split('-')[0] ?? ''),
        );
        expect(all.map((e) => `${e.stream.split('-')[0] === orders ? 'o' : 'v'}:${e.type}`)).toEqual([
          'o:OrderPlaced',
          'o:OrderShipped',
          'v:VisitPlanned',
          'o:OrderPlaced',
        ]);
        const positions = all.map((e) => e.position);
        expect(positions).toEqual([...positions].sort((a, b) => a - b));
        expect(new Set(positions).size).toBe(positions.length);

        const byCategory = await store.readAll({ afterPosition: head, filter: { streamCategories: [orders] } });
        expect(byCategory.map((e) => e.stream)).toEqual([`${orders}-1`, `${orders}-1`, `${orders}-2`]);
        const byType = await store.readAll({
          afterPosition: head,
          filter: { streamCategories: [orders, visits], eventTypePrefixes: ['OrderPl', 'Visit'] },
        });
        expect(byType.map((e) => e.type)).toEqual(['OrderPlaced', 'VisitPlanned', 'OrderPlaced']);
        const page = await store.readAll({
          afterPosition: head,
          limit: 2,
          filter: { streamCategories: [orders, visits] },
        });
        expect(page.map((e) => e.position)).toEqual(positions.slice(0, 2));
        // By tenant (metadata.tenantId), alone or with the other filters.
        await store.append(`${visits}-9`, [event('VisitPlanned', {}, { tenantId: 'tenant-b' })]);
        const tenantB = await store.readAll({ afterPosition: head, filter: { tenantIds: ['tenant-b'] } });
        expect(tenantB.map((e) => `${e.stream}:${e.metadata.tenantId}`)).toEqual([`${visits}-9:tenant-b`]);
        const tenantA = await store.readAll({
          afterPosition: head,
          filter: { streamCategories: [visits], tenantIds: [tenantId] },
        });
        expect(tenantA.map((e) => e.stream)).toEqual([`${visits}-1`]);
        expect(await store.headPosition()).toBeGreaterThanOrEqual(positions.at(-1) ?? 0);
      });
    });

    describe("a case's events", () => {
      it('are every event naming the case (caseId or caseIds) across streams, in global order, per tenant', async () => {
        const caseId = uuidv7();
        const other = uuidv7();
        const a = freshCategory('intakeCase');
        const b = freshCategory('eligibility');
        await store.append(`${a}-${caseId}`, [event('CaseOpened', {}, { caseId })]);
        await store.append(`${a}-${other}`, [event('CaseOpened', {}, { caseId: other })]);
        await store.append(`${b}-${caseId}`, [event('PreChecked', {}, { caseId })]);
        await store.append(`${freshCategory('visit')}-1`, [event('VisitPlanned', {}, { caseIds: [other, caseId] })]);
        await store.append(`${a}-${caseId}`, [event('CaseOpened', {}, { caseId, tenantId: 'tenant-b' })]);

        const history = await store.readCase(tenantId, caseId);
        expect(history.map((e) => e.type)).toEqual(['CaseOpened', 'PreChecked', 'VisitPlanned']);
        expect(history.every((e, i) => i === 0 || e.position > (history[i - 1]?.position ?? 0))).toBe(true);
        expect((await store.readCase('tenant-b', caseId)).map((e) => e.type)).toEqual(['CaseOpened']);
        const rest = await store.readCase(tenantId, caseId, { afterPosition: history[0]?.position ?? 0, limit: 1 });
        expect(rest.map((e) => e.type)).toEqual(['PreChecked']);
      });
    });

    describe('a catch-up subscription', () => {
      it('delivers history, then live events, and resumes from its checkpoint with no loss and no duplicate', async () => {
        const category = freshCategory('sub');
        const subscriberId = `test-${tag()}`;
        const seen: StoredEvent[] = [];
        const filter = { streamCategories: [category] };
        // What every follower of the store is: a processor resuming from its checkpoint.
        const follow = () =>
          startProcessor(
            store,
            { name: subscriberId, filter },
            {
              resumeFrom: async () => (await subject.checkpoints.load(subscriberId)) ?? 0,
              handle: async (batch) => {
                seen.push(...batch);
                const last = batch.at(-1);
                if (last) await subject.checkpoints.store(subscriberId, last.position);
                return undefined;
              },
            },
          );
        await store.append(`${category}-1`, [event('H1'), event('H2'), event('H3')]);

        const first = follow();
        await first.caughtUp;
        expect(seen.map((e) => e.type)).toEqual(['H1', 'H2', 'H3']);
        await store.append(`${category}-2`, [event('L1')]);
        await store.append(`${category}-1`, [event('L2'), event('L3')]);
        await eventually(() => expect(seen.map((e) => e.type)).toEqual(['H1', 'H2', 'H3', 'L1', 'L2', 'L3']));
        await first.stop();

        await store.append(`${category}-3`, [event('W1'), event('W2')]); // while no subscriber runs
        const second = follow();
        await second.caughtUp;
        await store.append(`${category}-3`, [event('L4')]);
        await eventually(() => expect(seen.map((e) => e.type).slice(6)).toEqual(['W1', 'W2', 'L4']));
        await second.stop();
        const ids = seen.map((e) => e.id);
        expect(new Set(ids).size).toBe(ids.length);
        const positions = seen.map((e) => e.position);
        expect(positions).toEqual([...positions].sort((a, b) => a - b));
      });

      it("from 'end' sees only new events, and a failing handler ends it with the handler's error", async () => {
        const category = freshCategory('sub');
        await store.append(`${category}-1`, [event('Old')]);
        const seen: string[] = [];
        const subscription = store.subscribe({ from: 'end', filter: { streamCategories: [category] } }, (e) => {
          if (e.type === 'Poison') throw new Error('handler failed');
          seen.push(e.type);
        });
        await subscription.caughtUp;
        await store.append(`${category}-1`, [event('New'), event('Poison'), event('After')]);
        await expect(subscription.done).rejects.toThrow('handler failed');
        expect(seen).toEqual(['New']);
      });
    });

    describe('stream metadata and deletion', () => {
      it('hides events before truncateBefore from stream reads', async () => {
        const stream = `${freshCategory()}-1`;
        await store.append(stream, [event('A'), event('B'), event('C')]);
        await store.setStreamMetadata(stream, { truncateBefore: 2 });
        expect((await store.readStream(stream)).map((e) => e.type)).toEqual(['C']);
        expect((await store.getStream(stream))?.metadata.truncateBefore).toBe(2);
      });

      it('keeps maxAge on the stream', async () => {
        const stream = `${freshCategory()}-1`;
        await store.append(stream, [event('A')]);
        await store.setStreamMetadata(stream, { maxAgeSeconds: 3600 });
        expect((await store.getStream(stream))?.metadata.maxAgeSeconds).toBe(3600);
        expect(await store.readStream(stream)).toHaveLength(1);
      });

      it('soft-deletes a stream: it reads as empty and continues its revisions when written again', async () => {
        const stream = `${freshCategory()}-1`;
        await store.append(stream, [event('A'), event('B')]);
        await store.deleteStream(stream, { expected: { revision: 1 } });
        expect(await store.readStream(stream)).toEqual([]);
        const again = await store.append(stream, [event('C')], 'no-stream');
        expect(again.nextExpectedRevision).toBe(2);
        expect((await store.readStream(stream)).map((e) => e.type)).toEqual(['C']);
        await store.setStreamMetadata(stream, { maxAgeSeconds: 86_400 });
        expect((await store.readStream(stream)).map((e) => e.type)).toEqual(['C']);
      });

      it('hard-deletes a stream for good: reads and appends answer that it is deleted', async () => {
        const stream = `${freshCategory()}-1`;
        await store.append(stream, [event('A')]);
        await expect(store.deleteStream(stream, { expected: { revision: 5 }, hard: true })).rejects.toBeInstanceOf(
          VersionConflictError,
        );
        await store.deleteStream(stream, { hard: true });
        await expect(store.readStream(stream)).rejects.toBeInstanceOf(StreamDeletedError);
        await expect(store.append(stream, [event('B')])).rejects.toBeInstanceOf(StreamDeletedError);
      });
    });

    describe('tamper evidence', () => {
      it('chains every event of a stream to the previous one, and verifies an untouched stream', async () => {
        const stream = `${freshCategory()}-1`;
        await store.append(stream, [event('A', { x: 1 }), event('B', { y: [1, 2] })]);
        await store.append(stream, [event('C', { z: { deep: 'ü' } })]);
        const events = await store.readStream(stream);
        expect(events[0]?.prevHash).toBeNull();
        expect(events[1]?.prevHash).toBe(events[0]?.hash);
        expect(events[2]?.prevHash).toBe(events[1]?.hash);
        expect(await verifyStream(store, stream)).toEqual({ ok: true, stream, events: 3 });
      });
    });

    describe('bad input', () => {
      it('refuses invalid stream names', async () => {
        for (const name of ['', 'nocategory', 'Upper-1', 'with space-1', '-1', `a-${'x'.repeat(300)}`]) {
          await expect(store.append(name, [event('A')])).rejects.toBeInstanceOf(InvalidStreamNameError);
        }
        await expect(store.readStream('bad name')).rejects.toBeInstanceOf(InvalidStreamNameError);
      });

      it('refuses empty appends and events that are not well formed, naming each problem', async () => {
        const stream = `${freshCategory()}-1`;
        await expect(store.append(stream, [])).rejects.toBeInstanceOf(InvalidEventError);
        const bad = { id: 'not-a-uuid', type: '', data: {}, metadata: { tenantId: '' } } as unknown as EventToAppend;
        const error = await store.append(stream, [bad]).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(InvalidEventError);
        expect((error as InvalidEventError).issues.join('\n')).toMatch(/id[\s\S]*type[\s\S]*tenantId/);
        await expect(store.append(stream, [event('A', { s: 'nul\u0000' })])).rejects.toBeInstanceOf(InvalidEventError);
        const twice = event('A');
        await expect(store.append(stream, [twice, twice])).rejects.toBeInstanceOf(InvalidEventError);
        await expect(store.append(stream, [event('A')], { revision: -3 })).rejects.toBeInstanceOf(InvalidEventError);
        expect(await store.readStream(stream)).toEqual([]);
      });

      it('refuses an event over the size limit', async () => {
        const stream = `${freshCategory()}-1`;
        const error = await store
          .append(stream, [event('Big', { blob: 'x'.repeat(1_100_000) })])
          .catch((e: unknown) => e);
        expect(error).toBeInstanceOf(PayloadTooLargeError);
        expect(error).toMatchObject({ limit: 1_048_576 });
        expect(await store.readStream(stream)).toEqual([]);
      });
    });
  });
}
