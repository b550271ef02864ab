/**
 * The embedded bus: the shared EventBus contract, then what only a bus in a database promises — a new bus on the
 * same database (a restart) continues where the last one committed, concurrent publishers get unique gap-free
 * offsets, retention bounds what is kept — on PGlite and on the PostgreSQL server. The crash of a whole process
 * (SIGKILL) is in postgres-bus-crash.contract.spec.ts.
 */
import { randomBytes } from 'node:crypto';
import { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pgliteSql, pgSql, type Sql } from '../event-sourcing/postgres/sql.ts';
import { useTestDatabase } from '../testing/postgres.ts';
import { describeWith } from '../testing/requirements.ts';
import { eventBusContract, waitFor } from './event-bus.contract.ts';
import { PostgresEventBus, type PostgresEventBusOptions } from './postgres-event-bus.ts';
import type { Consumer, IncomingMessage } from './types.ts';

const tag = () => randomBytes(3).toString('hex');
const text = (message: IncomingMessage) => message.value.toString();
const forever = { maxAttempts: 1_000_000, initialBackoffMs: 10, maxBackoffMs: 20 };

/** Polls an asynchronous condition until it holds. */
async function until(check: () => Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function durableBusSuite(name: string, openSql: () => Promise<Sql>): void {
  describe(`the embedded bus in a database: ${name}`, () => {
    let sql: Sql;
    const buses: PostgresEventBus[] = [];
    const consumers: Consumer[] = [];
    const open = async (options: PostgresEventBusOptions = {}) => {
      const bus = await PostgresEventBus.open(sql, { retentionIntervalMs: 0, ...options });
      buses.push(bus);
      return bus;
    };
    /** The offsets a topic's partition still keeps. */
    const kept = async (topic: string, partition = 0) =>
      (
        await sql.query<{ offset: number | string }>(
          'select "offset" from bus_messages where topic = $1 and partition = $2 order by "offset"',
          [topic, partition],
        )
      ).map((row) => Number(row.offset));
    const subscribe = async (bus: PostgresEventBus, ...args: Parameters<PostgresEventBus['subscribe']>) => {
      const consumer = await bus.subscribe(...args);
      consumers.push(consumer);
      return consumer;
    };
    beforeAll(async () => {
      sql = await openSql();
    });
    afterAll(async () => {
      await Promise.allSettled(consumers.map((c) => c.stop()));
      await Promise.allSettled(buses.map((b) => b.close()));
      await sql?.close();
    });

    describe('a new bus on the same database (a restart)', () => {
      it('delivers what was not committed, and nothing that was', async () => {
        const first = await open();
        const topic = `restart.${tag()}`;
        await first.ensureTopics([{ topic, partitions: 1 }]);
        await first.publish(
          topic,
          Array.from({ length: 20 }, (_, i) => ({ key: 'case-1', value: `m${i}`, headers: { n: String(i) } })),
        );
        const groupId = `g-${tag()}`;
        const before: string[] = [];
        await subscribe(first, { groupId, topics: [topic], retry: forever }, async (m) => {
          if (text(m) === 'm10') throw new Error('not before the restart');
          before.push(text(m));
        });
        await waitFor(() => before.length === 10, 20_000, 'm0..m9');
        await first.close();
        expect(before).toEqual(Array.from({ length: 10 }, (_, i) => `m${i}`));

        const second = await open();
        expect(await second.consumerLag(groupId, [topic])).toBe(10);
        const after: IncomingMessage[] = [];
        await subscribe(second, { groupId, topics: [topic] }, async (m) => {
          after.push(m);
        });
        await waitFor(() => after.length === 10, 20_000, 'm10..m19');
        expect(after.map(text)).toEqual(Array.from({ length: 10 }, (_, i) => `m${i + 10}`));
        expect(after.map((m) => [m.offset, m.key, m.headers.n])).toEqual(
          Array.from({ length: 10 }, (_, i) => [String(i + 10), 'case-1', String(i + 10)]),
        );
        await until(async () => (await second.consumerLag(groupId, [topic])) === 0, 'lag 0');
      });

      it('keeps the place of a group that joined at the end and had handled nothing yet', async () => {
        const first = await open();
        const topic = `late.${tag()}`;
        await first.ensureTopics([{ topic, partitions: 2 }]);
        await first.publish(topic, [{ key: 'case-1', value: 'before it joined' }]);
        const groupId = `g-${tag()}`;
        let tried = 0;
        await subscribe(first, { groupId, topics: [topic], fromBeginning: false, retry: forever }, async () => {
          tried++;
          throw new Error('not before the restart');
        });
        await first.publish(topic, [
          { key: 'case-1', value: 'after it joined' },
          { key: 'case-2', value: 'after it joined, too' },
        ]);
        await waitFor(() => tried > 0, 20_000, 'a first try');
        await first.close();

        const second = await open();
        const after: string[] = [];
        await subscribe(second, { groupId, topics: [topic], fromBeginning: false }, async (m) => {
          after.push(text(m));
        });
        await waitFor(() => after.length === 2, 20_000, 'both messages published after it joined');
        expect(after.sort()).toEqual(['after it joined', 'after it joined, too']);
      });
    });

    describe('publishers at the same time', () => {
      it('get unique, gap-free offsets per partition, and each keeps its order per key', async () => {
        const bus = await open();
        const topic = `concurrent.${tag()}`;
        await bus.ensureTopics([{ topic, partitions: 4 }]);
        const publishers = 8;
        const calls = 20;
        await Promise.all(
          Array.from({ length: publishers }, async (_, p) => {
            for (let c = 0; c < calls; c++) {
              // Each call spans several partitions: keys of this publisher, and one shared with every other.
              await bus.publish(topic, [
                ...Array.from({ length: 4 }, (_, k) => ({ key: `p${p}-k${k}`, value: `${p}:${k}:${c}` })),
                { key: 'shared', value: `${p}:s:${c}` },
              ]);
            }
          }),
        );
        const got: IncomingMessage[] = [];
        await subscribe(bus, { groupId: `g-${tag()}`, topics: [topic] }, async (m) => {
          got.push(m);
        });
        const total = publishers * calls * 5;
        await waitFor(() => got.length === total, 30_000, 'every message');
        const offsets = new Map<number, number[]>();
        for (const m of got) offsets.set(m.partition, [...(offsets.get(m.partition) ?? []), Number(m.offset)]);
        for (const list of offsets.values()) expect(list).toEqual(list.map((_, i) => i));
        expect(new Set(got.map(text)).size).toBe(total);
        const seqOf = new Map<string, number[]>();
        for (const m of got) {
          const [p, k, c] = text(m).split(':');
          seqOf.set(`${p}:${k}`, [...(seqOf.get(`${p}:${k}`) ?? []), Number(c)]);
        }
        for (const seq of seqOf.values()) expect(seq).toEqual(Array.from({ length: calls }, (_, i) => i));
      });
    });

    describe('retention', () => {
      it('drops what every group has committed, keeps what one has not, and continues a late group there', async () => {
        const bus = await open();
        const topic = `retain.${tag()}`;
        await bus.ensureTopics([{ topic, partitions: 1 }]);
        const [fast, slow] = [`fast-${tag()}`, `slow-${tag()}`];
        const handledFast: string[] = [];
        await subscribe(bus, { groupId: fast, topics: [topic] }, async (m) => {
          handledFast.push(text(m));
        });
        const handledSlow: string[] = [];
        const stuck = await subscribe(bus, { groupId: slow, topics: [topic], retry: forever }, async (m) => {
          if (text(m) === 'm3') throw new Error('not yet');
          handledSlow.push(text(m));
        });
        await bus.publish(
          topic,
          Array.from({ length: 8 }, (_, i) => ({ key: 'case-1', value: `m${i}` })),
        );
        await waitFor(() => handledFast.length === 8 && handledSlow.length === 3, 20_000, 'fast all, slow m0..m2');
        await stuck.stop();

        await bus.applyRetention();
        expect(await kept(topic)).toEqual([3, 4, 5, 6, 7]); // m0..m2 dropped: committed by both groups
        expect(await bus.consumerLag(fast, [topic])).toBe(0);
        expect(await bus.consumerLag(slow, [topic])).toBe(5);
        const resumed: string[] = [];
        await subscribe(bus, { groupId: slow, topics: [topic] }, async (m) => {
          resumed.push(text(m));
        });
        await waitFor(() => resumed.length === 5, 20_000, 'm3..m7');
        expect(resumed).toEqual(['m3', 'm4', 'm5', 'm6', 'm7']);
        await until(async () => (await bus.consumerLag(slow, [topic])) === 0, 'slow lag 0');
        await bus.applyRetention();
        expect(await kept(topic)).toEqual([]);

        // A group that subscribes for the first time now starts at the oldest retained message: the next one.
        const newcomer: string[] = [];
        await subscribe(bus, { groupId: `new-${tag()}`, topics: [topic] }, async (m) => {
          newcomer.push(text(m));
        });
        await bus.publish(topic, [{ key: 'case-1', value: 'm8' }]);
        await waitFor(() => newcomer.length === 1, 20_000, 'm8');
        expect(newcomer).toEqual(['m8']);
      });

      it('keeps at most the newest messages per partition: a group behind them continues at the oldest kept', async () => {
        const bus = await open({ retainPerPartition: 4 });
        const topic = `cap.${tag()}`;
        await bus.ensureTopics([{ topic, partitions: 1 }]);
        const groupId = `g-${tag()}`;
        const first = await subscribe(bus, { groupId, topics: [topic] }, async () => undefined);
        await first.stop(); // the group has a place (offset 0) and will fall behind it
        await bus.publish(
          topic,
          Array.from({ length: 10 }, (_, i) => ({ key: 'case-1', value: `m${i}` })),
        );
        expect(await bus.consumerLag(groupId, [topic])).toBe(10);
        await bus.applyRetention();
        expect(await kept(topic)).toEqual([6, 7, 8, 9]);
        expect(await bus.consumerLag(groupId, [topic])).toBe(4);
        const got: IncomingMessage[] = [];
        await subscribe(bus, { groupId, topics: [topic] }, async (m) => {
          got.push(m);
        });
        await waitFor(() => got.length === 4, 20_000, 'the four kept');
        expect(got.map((m) => [m.offset, text(m)])).toEqual([
          ['6', 'm6'],
          ['7', 'm7'],
          ['8', 'm8'],
          ['9', 'm9'],
        ]);
      });
    });
  });
}

describe('the embedded bus on PGlite (in memory)', () => {
  eventBusContract('PostgresEventBus on PGlite', async () => {
    const sql = pgliteSql(await PGlite.create());
    const bus = await PostgresEventBus.open(sql);
    return {
      bus,
      close: async () => {
        await bus.close();
        await sql.close();
      },
    };
  });

  durableBusSuite('PGlite', async () => pgliteSql(await PGlite.create()));

  describe('storage, as messages are published, consumed and dropped again and again', () => {
    it('stays bounded: the space of dropped messages is reused (PGlite runs no autovacuum)', async () => {
      const sql = pgliteSql(await PGlite.create());
      const bus = await PostgresEventBus.open(sql, { retentionIntervalMs: 0 });
      const topic = `storage.${tag()}`;
      await bus.ensureTopics([{ topic, partitions: 3 }]);
      let handled = 0;
      const consumer = await bus.subscribe({ groupId: 'g', topics: [topic] }, async () => {
        handled++;
      });
      const size = async () => {
        const [row] = await sql.query<{ bytes: number | string }>(
          `select pg_total_relation_size('bus_messages') as bytes`,
        );
        return Number(row?.bytes);
      };
      const sizes: number[] = [];
      for (let cycle = 1; cycle <= 5; cycle++) {
        for (let i = 0; i < 10; i++) {
          await bus.publish(
            topic,
            Array.from({ length: 100 }, (_, j) => ({ key: `case-${j}`, value: 'x'.repeat(500) })),
          );
        }
        await waitFor(() => handled === cycle * 1_000, 30_000, `cycle ${cycle} handled`);
        await until(async () => (await bus.consumerLag('g', [topic])) === 0, 'everything committed');
        sizes.push(await size()); // the peak: 1,000 messages kept
        expect(await bus.applyRetention()).toBe(1_000);
      }
      await consumer.stop();
      await bus.close();
      await sql.close();
      // Without the vacuum each cycle adds its 1,000 rows' pages (~0.7 MB) to the files: 5 cycles, ~5× the first.
      expect(Math.max(...sizes)).toBeLessThanOrEqual((sizes[0] ?? 0) * 1.5);
    });
  });
});

describeWith('postgres', 'the embedded bus on the PostgreSQL server', (serverUrl) => {
  const db = useTestDatabase(serverUrl);
  eventBusContract('PostgresEventBus on PostgreSQL', async () => {
    const sql = pgSql({ connectionString: db.url, max: 10 });
    const bus = await PostgresEventBus.open(sql);
    return {
      bus,
      close: async () => {
        await bus.close();
        await sql.close();
      },
    };
  });

  durableBusSuite('PostgreSQL', async () => pgSql({ connectionString: db.url, max: 10 }));

  describe('several buses starting at once on a fresh database', () => {
    const fresh = useTestDatabase(serverUrl);
    it('create the tables once, without racing each other', async () => {
      const sqls = Array.from({ length: 6 }, () => pgSql({ connectionString: fresh.url, max: 2 }));
      const buses = await Promise.all(sqls.map((each) => PostgresEventBus.open(each, { retentionIntervalMs: 0 })));
      await Promise.all(buses.map((bus) => bus.ensureTopics([{ topic: 'shared.topic', partitions: 3 }])));
      await Promise.all(buses.map((bus) => bus.close()));
      await Promise.all(sqls.map((each) => each.close()));
      const check = pgSql(fresh.url);
      expect(
        await check.query(`select topic, partitions from bus_topics union all
          select topic, count(*)::int from bus_partitions group by topic`),
      ).toEqual([
        { topic: 'shared.topic', partitions: 3 },
        { topic: 'shared.topic', partitions: 3 },
      ]);
      await check.close();
    });
  });
});
