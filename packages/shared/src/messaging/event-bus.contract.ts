/**
 * The one contract every EventBus adapter passes (the embedded bus on PGlite and on the PostgreSQL server, Kafka on
 * the real broker). Each test uses topics and groups of its own.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ContractViolation, fromKafkaRecord, toKafkaRecord } from '../contracts/cloudevents.ts';
import { type Consumer, DLQ_HEADERS, dlqTopicOf, type EventBus, type IncomingMessage } from './types.ts';

export interface BusSubject {
  bus: EventBus;
  close(): Promise<void>;
}

const tag = () => randomBytes(3).toString('hex');

export const waitFor = async (check: () => boolean, timeoutMs = 60_000, what = 'condition'): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
};

const text = (message: IncomingMessage) => message.value.toString();

export function eventBusContract(name: string, open: () => Promise<BusSubject>): void {
  describe(`EventBus contract: ${name}`, () => {
    let subject: BusSubject;
    let bus: EventBus;
    const consumers: Consumer[] = [];
    const topic = async (base: string, partitions = 3) => {
      const name = `${base}.${tag()}`;
      await bus.ensureTopics([{ topic: name, partitions }]);
      return name;
    };
    const subscribe = async (...args: Parameters<EventBus['subscribe']>) => {
      const consumer = await bus.subscribe(...args);
      consumers.push(consumer);
      await consumer.ready;
      return consumer;
    };

    beforeAll(async () => {
      subject = await open();
      bus = subject.bus;
    });
    afterAll(async () => {
      await Promise.allSettled(consumers.map((c) => c.stop()));
      await subject?.close();
    });

    it('answers that it is reachable', async () => {
      expect(await bus.isReachable()).toBe(true);
    });

    describe('messages with one key', () => {
      it('are handled in the order published, each once, across partitions', async () => {
        const t = await topic('order', 3);
        const seen = new Map<string, string[]>();
        await subscribe({ groupId: `g-${tag()}`, topics: [t] }, async (m) => {
          const key = m.key ?? '';
          seen.set(key, [...(seen.get(key) ?? []), text(m)]);
        });
        const keys = ['case-a', 'case-b', 'case-c', 'case-d'];
        for (let round = 0; round < 3; round++) {
          await bus.publish(
            t,
            keys.flatMap((key) => [0, 1, 2].map((i) => ({ key, value: `${key}:${round * 3 + i}` }))),
          );
        }
        await waitFor(() => [...seen.values()].flat().length === 36, 60_000, '36 messages');
        for (const key of keys) {
          expect(seen.get(key)).toEqual(Array.from({ length: 9 }, (_, i) => `${key}:${i}`));
        }
      });
    });

    describe('consumer lag', () => {
      it('counts what a group has not committed yet: all of it before, none after it consumed', async () => {
        const t = await topic('lag', 2);
        const groupId = `g-${tag()}`;
        await bus.publish(
          t,
          Array.from({ length: 7 }, (_, i) => ({ key: `case-${i}`, value: `v${i}` })),
        );
        expect(await bus.consumerLag(groupId, [t])).toBe(7);
        let handled = 0;
        const consumer = await subscribe({ groupId, topics: [t] }, async () => {
          handled++;
        });
        await waitFor(() => handled === 7, 60_000, 'seven handled');
        await consumer.stop(); // commits what was handled
        expect(await bus.consumerLag(groupId, [t])).toBe(0);
      });
    });

    describe('a handler that cannot finish when its consumer stops', () => {
      it('leaves its message uncommitted: the group resumes at that message, after the ones that succeeded', async () => {
        const t = await topic('commit', 1);
        const groupId = `g-${tag()}`;
        await bus.publish(
          t,
          ['m0', 'm1', 'm2', 'm3', 'm4'].map((value) => ({ key: 'case-1', value })),
        );
        const first: string[] = [];
        const failing = await subscribe(
          { groupId, topics: [t], retry: { maxAttempts: 1_000, initialBackoffMs: 20, maxBackoffMs: 50 } },
          async (m) => {
            if (text(m) === 'm2') throw new Error('not now');
            first.push(text(m));
          },
        );
        await waitFor(() => first.length === 2, 60_000, 'm0, m1');
        await new Promise((resolve) => setTimeout(resolve, 200)); // m2 is being retried
        await failing.stop();
        expect(first).toEqual(['m0', 'm1']);

        const second: string[] = [];
        await subscribe({ groupId, topics: [t] }, async (m) => {
          second.push(text(m));
        });
        await waitFor(() => second.length === 3, 60_000, 'm2..m4');
        expect(second).toEqual(['m2', 'm3', 'm4']);
      });
    });

    describe('a consumer stopped while handlers are in flight', () => {
      it('lets the running handler finish and a second consumer loses nothing', async () => {
        const t = await topic('inflight', 2);
        const groupId = `g-${tag()}`;
        const values = Array.from({ length: 40 }, (_, i) => `v${i}`);
        await bus.publish(
          t,
          values.map((value, i) => ({ key: `case-${i % 5}`, value })),
        );
        const handled: string[] = [];
        const slow = await subscribe({ groupId, topics: [t] }, async (m) => {
          await new Promise((resolve) => setTimeout(resolve, 15));
          handled.push(text(m));
        });
        await waitFor(() => handled.length >= 10, 60_000, '10 handled');
        await slow.stop();
        const before = handled.length;
        await new Promise((resolve) => setTimeout(resolve, 100));
        expect(handled.length).toBe(before); // nothing runs after stop() resolved

        await subscribe({ groupId, topics: [t] }, async (m) => {
          handled.push(text(m));
        });
        await waitFor(() => new Set(handled).size === values.length, 60_000, 'every value');
        expect(new Set(handled)).toEqual(new Set(values));
      });
    });

    describe('a handler that fails', () => {
      it('is retried with the attempt count, then its message goes to the dead-letter topic, and the partition moves on', async () => {
        const t = await topic('retry', 1);
        const groupId = `g-${tag()}`;
        const attempts = new Map<string, number[]>();
        const done: string[] = [];
        await subscribe(
          { groupId, topics: [t], retry: { maxAttempts: 3, initialBackoffMs: 10, maxBackoffMs: 20 } },
          async (m) => {
            attempts.set(text(m), [...(attempts.get(text(m)) ?? []), m.attempt]);
            if (text(m) === 'flaky' && m.attempt < 3) throw new Error('flaky for now');
            if (text(m) === 'poison') throw new Error('poison: cannot be handled');
            done.push(text(m));
          },
        );
        const dead: IncomingMessage[] = [];
        await subscribe({ groupId: `dlq-reader-${tag()}`, topics: [dlqTopicOf(t, groupId)] }, async (m) => {
          dead.push(m);
        });
        await bus.publish(t, [
          { key: 'case-1', value: 'flaky', headers: { ce_id: 'e-1' } },
          { key: 'case-1', value: 'poison', headers: { ce_id: 'e-2', traceparent: 'tp' } },
          { key: 'case-1', value: 'after' },
        ]);
        await waitFor(() => done.includes('after') && dead.length === 1, 60_000, 'after + one dead letter');
        expect(done).toEqual(['flaky', 'after']);
        expect(attempts.get('flaky')).toEqual([1, 2, 3]);
        expect(attempts.get('poison')).toEqual([1, 2, 3]);
        expect(dead[0]?.key).toBe('case-1');
        expect(text(dead[0] as IncomingMessage)).toBe('poison');
        expect(dead[0]?.headers).toMatchObject({
          ce_id: 'e-2',
          traceparent: 'tp',
          [DLQ_HEADERS.error]: 'Error: poison: cannot be handled',
          [DLQ_HEADERS.topic]: t,
          [DLQ_HEADERS.partition]: '0',
          [DLQ_HEADERS.offset]: '1',
          [DLQ_HEADERS.group]: groupId,
          [DLQ_HEADERS.attempts]: '3',
        });
      });
    });

    describe('a message that violates its contract', () => {
      it('goes to the dead-letter topic at once, with the error naming the fields', async () => {
        const t = await topic('schema', 1);
        const groupId = `g-${tag()}`;
        const registry = {
          'test.case.opened.v1': z.object({ caseId: z.string().min(1), services: z.array(z.string()).min(1) }),
        };
        const accepted: unknown[] = [];
        await subscribe(
          {
            groupId,
            topics: [t],
            isPermanent: (error) => error instanceof ContractViolation,
            retry: { maxAttempts: 5 },
          },
          async (m) => {
            accepted.push(fromKafkaRecord(m, registry).data);
          },
        );
        const dead: IncomingMessage[] = [];
        await subscribe({ groupId: `dlq-reader-${tag()}`, topics: [dlqTopicOf(t, groupId)] }, async (m) => {
          dead.push(m);
        });
        const event = (data: unknown) => ({
          id: `e-${tag()}`,
          type: 'test.case.opened.v1',
          source: '/test',
          subject: 'case-1',
          time: new Date().toISOString(),
          tenant: 'tenant-a',
          data,
        });
        const bad = toKafkaRecord(event({ caseId: '', services: [] }));
        const good = toKafkaRecord(event({ caseId: 'case-1', services: ['id-card'] }));
        await bus.publish(t, [bad, good]);
        await waitFor(() => accepted.length === 1 && dead.length === 1, 60_000, 'one accepted, one dead');
        expect(dead[0]?.headers[DLQ_HEADERS.attempts]).toBe('1');
        expect(dead[0]?.headers[DLQ_HEADERS.error]).toMatch(/data\.caseId: .*data\.services: /);
        expect(accepted).toEqual([{ caseId: 'case-1', services: ['id-card'] }]);
      });
    });

    describe('a second consumer joining the group', () => {
      it('takes over part of the partitions; every message is handled once, none lost', async () => {
        const t = await topic('rebalance', 4);
        const groupId = `g-${tag()}`;
        const byConsumer: Record<'a' | 'b', string[]> = { a: [], b: [] };
        await subscribe({ groupId, topics: [t] }, async (m) => {
          byConsumer.a.push(text(m));
        });
        const publishBatch = (from: number) =>
          bus.publish(
            t,
            Array.from({ length: 40 }, (_, i) => ({ key: `case-${(from + i) % 16}`, value: `m${from + i}` })),
          );
        await publishBatch(0);
        await waitFor(() => byConsumer.a.length === 40, 60_000, 'first batch');
        await subscribe({ groupId, topics: [t] }, async (m) => {
          byConsumer.b.push(text(m));
        });
        await publishBatch(40);
        await waitFor(() => byConsumer.a.length + byConsumer.b.length >= 80, 60_000, 'second batch');
        await new Promise((resolve) => setTimeout(resolve, 300));
        const all = [...byConsumer.a, ...byConsumer.b];
        expect(all).toHaveLength(80);
        expect(new Set(all).size).toBe(80);
        expect(byConsumer.b.length).toBeGreaterThan(0);
        expect(byConsumer.a.slice(40).length).toBeGreaterThan(0);
      });
    });
  });
}
