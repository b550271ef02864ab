/**
 * The relay after a crash, and consumers under duplicate delivery — on the embedded bus (PGlite) and on the real Kafka
 * broker. Each protection is also shown missing (a control) to prove the test would notice.
 */
import { randomBytes } from 'node:crypto';
import { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ContractViolation, type IntegrationEvent, toKafkaRecord } from '../contracts/cloudevents.ts';
import { handleCommand } from '../event-sourcing/command-handler.ts';
import type { Decider } from '../event-sourcing/decider.ts';
import { uuidv7 } from '../event-sourcing/ids.ts';
import { PostgresCheckpointStore, PostgresEventStore } from '../event-sourcing/postgres/postgres-event-store.ts';
import { pgliteSql } from '../event-sourcing/postgres/sql.ts';
import type { Json, StoredEvent } from '../event-sourcing/types.ts';
import { ERASED } from '../privacy/crypto.ts';
import { PostgresKeyStore } from '../privacy/key-store.ts';
import { PersonalDataStore } from '../privacy/personal-data-store.ts';
import { describeWith } from '../testing/requirements.ts';
import { waitFor } from './event-bus.contract.ts';
import { idempotentHandler, isContractViolation } from './idempotent-consumer.ts';
import { KafkaEventBus } from './kafka-event-bus.ts';
import { PostgresEventBus } from './postgres-event-bus.ts';
import { startRelay } from './relay.ts';
import type { EventBus, IncomingMessage } from './types.ts';

const tag = () => randomBytes(3).toString('hex');
const tenant = 'tenant-a';

/** The published schema of the test's integration event (relays send only what conforms). */
const contracts = { 'test.case.changed.v1': z.object({ caseId: z.string().nullable(), seq: z.number().int() }) };

const toIntegration = (event: StoredEvent): IntegrationEvent => ({
  id: event.id,
  type: 'test.case.changed.v1',
  source: '/buergerkoffer/test',
  subject: String(event.metadata.caseId),
  time: event.recordedAt.toISOString(),
  tenant: event.metadata.tenantId,
  data: { caseId: event.metadata.caseId ?? null, seq: (event.data as { seq: number }).seq },
});

/** A bus that fails once, at its `failAt`-th publish, before or after really publishing (a crash at that point). */
function crashingOnce(bus: EventBus, failAt: number, when: 'before-send' | 'after-send'): EventBus {
  let calls = 0;
  return {
    ensureTopics: (t) => bus.ensureTopics(t),
    subscribe: (o, h) => bus.subscribe(o, h),
    isReachable: () => bus.isReachable(),
    consumerLag: (g, t) => bus.consumerLag(g, t),
    close: () => bus.close(),
    async publish(topic, messages) {
      calls++;
      if (calls === failAt && when === 'before-send') throw new Error('crash before send');
      await bus.publish(topic, messages);
      if (calls === failAt && when === 'after-send') throw new Error('crash after send');
    },
  };
}

function relaySuite(name: string, openBus: () => Promise<EventBus>) {
  describe(`relay and consumers on ${name}`, () => {
    let bus: EventBus;
    let store: PostgresEventStore;
    let checkpoints: PostgresCheckpointStore;
    beforeAll(async () => {
      bus = await openBus();
      const sql = pgliteSql(await PGlite.create());
      store = await PostgresEventStore.open(sql, { pollIntervalMs: 200 });
      checkpoints = new PostgresCheckpointStore(sql);
    });
    afterAll(async () => {
      await bus?.close();
      await store?.close();
    });

    /** 30 events over 5 cases in a category of their own; returns what a consumer of the topic received. */
    async function run(crash: 'before-send' | 'after-send', unsafe = false) {
      const category = `relayCase${tag()}`;
      const topic = `test.case.${tag()}.v1`;
      await bus.ensureTopics([{ topic, partitions: 3 }]);
      const cases = Array.from({ length: 5 }, () => uuidv7());
      const appendRound = async (from: number) => {
        for (let seq = from; seq < from + 3; seq++) {
          for (const caseId of cases) {
            await store.append(`${category}-${caseId}`, [
              { id: uuidv7(), type: 'CaseChanged', data: { seq }, metadata: { tenantId: tenant, caseId } },
            ]);
          }
        }
      };
      await appendRound(0);
      await appendRound(3);

      const received: IncomingMessage[] = [];
      const reader = await bus.subscribe({ groupId: `reader-${tag()}`, topics: [topic] }, async (m) => {
        received.push(m);
      });
      await reader.ready;

      const options = { name: `test-${tag()}`, filter: { streamCategories: [category] }, contracts };
      const map = (event: StoredEvent) => [{ topic, event: toIntegration(event) }];
      if (unsafe) {
        // The control: a relay that moves its checkpoint before publishing (what the real relay must never do).
        const subscriberId = `relay:${options.name}`;
        const broken = crashingOnce(bus, 12, crash);
        const first = store.subscribe({ from: 'start', filter: options.filter }, async (event) => {
          await checkpoints.store(subscriberId, event.position);
          for (const route of map(event)) await broken.publish(route.topic, [toKafkaRecord(route.event)]);
        });
        await first.done.catch(() => undefined);
        const from = (await checkpoints.load(subscriberId)) ?? 'start';
        const second = store.subscribe({ from, filter: options.filter }, async (event) => {
          await checkpoints.store(subscriberId, event.position);
          for (const route of map(event)) await bus.publish(route.topic, [toKafkaRecord(route.event)]);
        });
        await second.caughtUp;
        // Everything but the one event lost in the crash reaches the reader (a condition, not a pause).
        await waitFor(() => new Set(received.map((m) => m.headers.ce_id)).size >= 29, 30_000, '29 distinct events');
        await second.stop();
      } else {
        // One event per publish, so the 12th publish is the 12th event; the relay reports the failure and would
        // try again by itself — here its process ends instead (a stop), and a new relay takes over.
        const failures: unknown[] = [];
        const first = await startRelay(
          { store, checkpoints, bus: crashingOnce(bus, 12, crash) },
          { ...options, map, batchSize: 1, onError: (error) => failures.push(error) },
        );
        await waitFor(() => failures.length > 0, 20_000, 'the crash reported');
        expect(String(failures[0])).toMatch(/crash/);
        await first.stop();
        const second = await startRelay({ store, checkpoints, bus }, { ...options, map });
        await second.caughtUp;
        await appendRound(6); // live, after the restart
        await waitFor(() => new Set(received.map((m) => m.headers.ce_id)).size >= 45, 20_000, '45 distinct events');
        await second.stop();
      }
      await new Promise((resolve) => setTimeout(resolve, 300));
      await reader.stop();
      const stored = (await store.readAll({ filter: { streamCategories: [category] } })).map((e) => e.id);
      return { received, stored };
    }

    const perCaseSequences = (received: IncomingMessage[]) => {
      const seen = new Set<string>();
      const byCase = new Map<string, number[]>();
      for (const m of received) {
        const id = m.headers.ce_id ?? '';
        if (seen.has(id)) continue;
        seen.add(id);
        const { seq } = JSON.parse(m.value.toString()) as { seq: number };
        byCase.set(m.key ?? '', [...(byCase.get(m.key ?? '') ?? []), seq]);
      }
      return byCase;
    };

    it('resumes after a crash before sending: every event published once, in order per case', async () => {
      const { received, stored } = await run('before-send');
      expect(received.map((m) => m.headers.ce_id).sort()).toEqual([...stored].sort());
      for (const seqs of perCaseSequences(received).values()) expect(seqs).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    });

    it('resumes after a crash between sending and the checkpoint: nothing lost, the one event republished', async () => {
      const { received, stored } = await run('after-send');
      const ids = received.map((m) => m.headers.ce_id ?? '');
      expect(new Set(ids)).toEqual(new Set(stored));
      expect(ids.length).toBe(stored.length + 1);
      for (const seqs of perCaseSequences(received).values()) expect(seqs).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    });

    it('control: a relay that stores its checkpoint before publishing loses the event of the crash', async () => {
      const { received, stored } = await run('before-send', true);
      const ids = new Set(received.map((m) => m.headers.ce_id));
      expect(stored.length).toBe(30);
      expect(stored.filter((id) => !ids.has(id))).toHaveLength(1);
    });

    it('sends nothing that does not conform to its contract: it holds there, naming the field', async () => {
      const category = `badCase${tag()}`;
      const topic = `test.bad.${tag()}.v1`;
      await bus.ensureTopics([{ topic, partitions: 1 }]);
      const caseId = uuidv7();
      for (const seq of [0, 'one', 2]) {
        await store.append(`${category}-${caseId}`, [
          { id: uuidv7(), type: 'CaseChanged', data: { seq }, metadata: { tenantId: tenant, caseId } },
        ]);
      }
      const received: IncomingMessage[] = [];
      const reader = await bus.subscribe({ groupId: `reader-${tag()}`, topics: [topic] }, async (m) => {
        received.push(m);
      });
      await reader.ready;
      const failures: unknown[] = [];
      const name = `bad-${tag()}`;
      const relay = await startRelay(
        { store, checkpoints, bus },
        {
          name,
          filter: { streamCategories: [category] },
          map: (event) => [{ topic, event: toIntegration(event) }],
          contracts,
          batchSize: 1,
          onError: (error) => failures.push(error),
        },
      );
      await waitFor(() => failures.length >= 2, 20_000, 'the violation reported, and tried again');
      await waitFor(() => received.length >= 1, 20_000, 'the event before it');
      await relay.stop();
      await reader.stop();
      expect(failures[0]).toBeInstanceOf(ContractViolation);
      expect(String(failures[0])).toContain('data.seq');
      expect(received.map((m) => JSON.parse(m.value.toString()))).toEqual([{ caseId, seq: 0 }]);
      const [first] = await store.readStream(`${category}-${caseId}`);
      expect(await checkpoints.load(`relay:${name}`)).toBe(first?.position);
    });

    it('publishes personal fields still sealed, so the topic holds no plaintext and erasure covers it', async () => {
      const keys = await PostgresKeyStore.open(store.sql, randomBytes(32));
      const protectedStore = new PersonalDataStore(store, keys, {
        CaseOpened: [{ subject: 'applicant.subjectId', fields: ['applicant.familyName'] }],
      });
      const category = `sealedCase${tag()}`;
      const topic = `test.sealed.${tag()}.v1`;
      await bus.ensureTopics([{ topic, partitions: 1 }]);
      const caseId = uuidv7();
      const subjectId = uuidv7();
      await protectedStore.append(`${category}-${caseId}`, [
        {
          id: uuidv7(),
          type: 'CaseOpened',
          data: { applicant: { subjectId, familyName: 'Mustermann' } },
          metadata: { tenantId: tenant, caseId },
        },
      ]);
      const received: IncomingMessage[] = [];
      const reader = await bus.subscribe({ groupId: `reader-${tag()}`, topics: [topic] }, async (m) => {
        received.push(m);
      });
      await reader.ready;
      const relay = await startRelay(
        { store, checkpoints, bus },
        {
          name: `sealed-${tag()}`,
          filter: { streamCategories: [category] },
          map: (event) => [{ topic, event: { ...toIntegration(event), data: event.data } }],
          contracts: {
            'test.case.changed.v1': z.object({
              applicant: z.object({
                subjectId: z.string(),
                familyName: z.object({ $pd: z.literal('v1'), sub: z.string(), iv: z.string(), ct: z.string() }),
              }),
            }),
          },
        },
      );
      await waitFor(() => received.length === 1, 20_000, 'the sealed event');
      await relay.stop();
      await reader.stop();
      const value = received[0]?.value.toString() ?? '';
      expect(value).not.toContain('Mustermann');
      const sealed = JSON.parse(value) as Json;
      expect(await protectedStore.protector.open(tenant, received[0]?.headers.ce_id ?? '', sealed)).toEqual({
        applicant: { subjectId, familyName: 'Mustermann' },
      });
      await keys.erase(tenant, subjectId);
      expect(await protectedStore.protector.open(tenant, received[0]?.headers.ce_id ?? '', sealed)).toEqual({
        applicant: { subjectId, familyName: ERASED },
      });
    });

    describe('a consumer that receives every message twice', () => {
      type Recorded = { type: 'PreCheckRecorded'; data: { caseId: string; seq: number } };
      const decider: Decider<{ caseId: string; seq: number }, Recorded, { count: number }> = {
        initialState: () => ({ count: 0 }),
        evolve: (state) => ({ count: state.count + 1 }),
        decide: (command) => [{ type: 'PreCheckRecorded', data: command }], // not idempotent by itself
      };
      const registry = { 'test.case.changed.v1': z.object({ caseId: z.string(), seq: z.number().int() }) };

      async function consumeTwice(idempotent: boolean) {
        const topic = `test.dup.${tag()}.v1`;
        const category = `checked${tag()}`;
        await bus.ensureTopics([{ topic, partitions: 3 }]);
        const groupId = `eligibility-${tag()}`;
        let handled = 0;
        const consumer = await bus.subscribe(
          { groupId, topics: [topic], isPermanent: isContractViolation },
          idempotentHandler(groupId, registry, async ({ event, idempotencyKey, causationId }) => {
            const data = event.data as { caseId: string; seq: number };
            await handleCommand(
              {
                store,
                decider,
                decode: (e) => ({ type: 'PreCheckRecorded', data: e.data as Recorded['data'] }),
                stream: `${category}-${data.caseId}`,
                retries: 3,
              },
              data,
              {
                tenantId: event.tenant,
                actor: { id: groupId, role: 'system' },
                caseId: data.caseId,
                causationId,
                ...(idempotent ? { idempotencyKey } : {}),
              },
            );
            handled++;
          }),
        );
        await consumer.ready;
        const events = Array.from({ length: 20 }, (_, i) => {
          const caseId = uuidv7();
          return toKafkaRecord({
            id: uuidv7(),
            type: 'test.case.changed.v1',
            source: '/test',
            subject: caseId,
            time: new Date().toISOString(),
            tenant,
            data: { caseId, seq: i },
          });
        });
        await bus.publish(topic, events);
        await bus.publish(topic, events); // every message of the run, delivered again
        await waitFor(() => handled === 40, 30_000, '40 deliveries');
        await consumer.stop();
        const streams = await store.readAll({ filter: { streamCategories: [category] } });
        return { events: streams.length, distinctStreams: new Set(streams.map((e) => e.stream)).size };
      }

      it('changes nothing on the second delivery: one effect per event', async () => {
        expect(await consumeTwice(true)).toEqual({ events: 20, distinctStreams: 20 });
      });

      it('control: without the idempotency key every duplicate has an effect again', async () => {
        expect(await consumeTwice(false)).toEqual({ events: 40, distinctStreams: 20 });
      });
    });
  });
}

relaySuite('the embedded bus (PGlite)', async () =>
  PostgresEventBus.open(pgliteSql(await PGlite.create()), { ownsConnection: true }),
);

describeWith('kafka', 'relay and consumers with Kafka', (brokers) => {
  relaySuite('the real Kafka broker', async () =>
    KafkaEventBus.connect({ brokers: brokers.split(','), clientId: 'relay-test' }, { sessionTimeoutMs: 10_000 }),
  );
});
