/**
 * `pnpm bench:bus`: the embedded bus (`PostgresEventBus`) against raw SQL on the same engine, then our Kafka adapter
 * against raw kafkajs on the real broker, in the same run.
 *
 * Embedded bus, on PGlite in memory, PGlite in a data directory (as `pnpm start` runs it) and the PostgreSQL server:
 * - publish, 1 message per call (what a relay does) and 100 per call: messages/s beside a raw `INSERT` of the same
 *   rows (topic, partition, offset, key, value, headers) into a plain table with the same primary key;
 * - end to end: N messages published in batches of 100, one consumer group committing each message after its
 *   handler; messages/s from the first send until the group has them all, beside a raw loop doing the same work
 *   (one `SELECT` of 100 rows per partition, one `UPDATE` of the offset per message, raw inserts to publish);
 * - latency at moderate load: 200 messages/s, one per call, publish → handler, p50 and p99.
 * Kafka:
 * - throughput: N messages (CloudEvents headers, ~400-byte JSON value) published in batches of 100, consumed by one
 *   consumer group; messages/s from the first send until the consumer has them all;
 * - latency at moderate load: 200 messages/s for 10 s, publish → handler, p50 and p99.
 * Raw kafkajs uses the same producer settings (idempotent, acks = all) and consumer settings (eachMessage,
 * 3 partitions at a time, auto-commit).
 *
 * Environment: BENCH_BUS (`embedded`, `kafka`, default both), DATABASE_URL (default
 * postgres://postgres@127.0.0.1:5432/postgres; a database of its own is created and dropped), KAFKA_BROKERS (else the
 * broker from infra/kafka is started, and stopped after), BENCH_SCALE (1).
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { toKafkaRecord } from '../contracts/cloudevents.ts';
import { pgliteSql, pgSql, type Sql } from '../event-sourcing/postgres/sql.ts';
import { resolveKafkaOnly } from '../testing/infra.ts';
import { createDatabase } from '../testing/postgres.ts';
import { partitionOf } from './delivery.ts';
import { KafkaEventBus } from './kafka-event-bus.ts';
import { PostgresEventBus } from './postgres-event-bus.ts';
import type { OutgoingMessage } from './types.ts';

const scale = Number(process.env.BENCH_SCALE ?? '1');
const N = Math.max(1_000, Math.round(20_000 * scale));
const RATE = 200;
const LATENCY_SECONDS = Math.max(3, Math.round(10 * scale));
const tag = () => randomBytes(3).toString('hex');
const which = process.env.BENCH_BUS ?? 'all';
const serverUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

const message = (i: number): OutgoingMessage => {
  const caseId = `case-${i % 500}`;
  return toKafkaRecord({
    id: `evt-${i}`,
    type: 'intake.case.opened.v1',
    source: '/buergerkoffer/intake',
    subject: caseId,
    time: new Date().toISOString(),
    tenant: 'bench',
    data: { caseId, services: ['id-card', 'registration'], channel: 'phone-115', note: 'x'.repeat(300) },
  });
};

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
};

interface Side {
  publish(topic: string, messages: OutgoingMessage[]): Promise<void>;
  consume(topic: string, onMessage: (headers: Record<string, string>) => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

function ours(brokers: string[]): Side & { bus: KafkaEventBus } {
  const bus = KafkaEventBus.connect({ brokers, clientId: 'bench-ours', logLevel: logLevel.ERROR });
  return {
    bus,
    publish: (topic, messages) => bus.publish(topic, messages),
    async consume(topic, onMessage) {
      const consumer = await bus.subscribe({ groupId: `bench-ours-${tag()}`, topics: [topic] }, async (m) => {
        onMessage(m.headers as Record<string, string>);
      });
      await consumer.ready;
      return () => consumer.stop();
    },
    close: () => bus.close(),
  };
}

function raw(brokers: string[]): Side {
  const kafka = new Kafka({ brokers, clientId: 'bench-raw', logLevel: logLevel.ERROR });
  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  let connected: Promise<void> | undefined;
  return {
    async publish(topic, messages) {
      connected ??= producer.connect();
      await connected;
      await producer.send({
        topic,
        acks: -1,
        messages: messages.map((m) => ({ key: m.key, value: m.value, headers: { ...m.headers } })),
      });
    },
    async consume(topic, onMessage) {
      const consumer = kafka.consumer({ groupId: `bench-raw-${tag()}`, sessionTimeout: 30_000 });
      let joined: () => void = () => undefined;
      const ready = new Promise<void>((resolve) => {
        joined = resolve;
      });
      consumer.on(consumer.events.GROUP_JOIN, () => joined());
      await consumer.connect();
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      await consumer.run({
        partitionsConsumedConcurrently: 3,
        eachMessage: async ({ message: m }) => {
          const headers: Record<string, string> = {};
          for (const [k, v] of Object.entries(m.headers ?? {})) if (v !== undefined) headers[k] = String(v);
          onMessage(headers);
        },
      });
      await ready;
      return () => consumer.disconnect();
    },
    close: async () => {
      if (connected) await producer.disconnect();
    },
  };
}

async function throughput(side: Side, admin: KafkaEventBus): Promise<number> {
  const topic = `bench.throughput.${tag()}`;
  await admin.ensureTopics([{ topic, partitions: 6 }]);
  let received = 0;
  let allIn: () => void = () => undefined;
  const done = new Promise<void>((resolve) => {
    allIn = resolve;
  });
  const stop = await side.consume(topic, () => {
    if (++received === N) allIn();
  });
  const started = performance.now();
  for (let i = 0; i < N; i += 100) {
    await side.publish(
      topic,
      Array.from({ length: Math.min(100, N - i) }, (_, j) => message(i + j)),
    );
  }
  await done;
  const seconds = (performance.now() - started) / 1_000;
  await stop();
  return N / seconds;
}

async function latency(side: Side, admin: KafkaEventBus): Promise<{ p50: number; p99: number }> {
  const topic = `bench.latency.${tag()}`;
  await admin.ensureTopics([{ topic, partitions: 6 }]);
  const samples: number[] = [];
  const total = RATE * LATENCY_SECONDS;
  const stop = await side.consume(topic, (headers) => {
    samples.push(performance.now() + performance.timeOrigin - Number(headers.bench_sent_at));
  });
  const started = performance.now();
  for (let i = 0; i < total; i++) {
    const due = started + (i * 1_000) / RATE;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const m = message(i);
    await side.publish(topic, [
      { ...m, headers: { ...m.headers, bench_sent_at: String(performance.now() + performance.timeOrigin) } },
    ]);
  }
  const deadline = Date.now() + 10_000;
  while (samples.length < total && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  await stop();
  return { p50: percentile(samples, 50), p99: percentile(samples, 99) };
}

async function kafkaBench() {
  const { resolved: kafka, stop } = await resolveKafkaOnly(process.env);
  try {
    if (!kafka.available) throw new Error(`no Kafka broker: ${kafka.reason}`);
    const brokers = kafka.url.split(',');
    const oursSide = ours(brokers);
    const rawSide = raw(brokers);
    const admin = oursSide.bus;
    console.log(`broker ${kafka.url}; ${N} messages for throughput, ${RATE}/s for ${LATENCY_SECONDS} s for latency`);
    // Warm both paths once (connections, coordinators), then measure raw and ours alternately, best of 2.
    await throughput(rawSide, admin);
    await throughput(oursSide, admin);
    const rawRates = [await throughput(rawSide, admin), await throughput(rawSide, admin)];
    const ourRates = [await throughput(oursSide, admin), await throughput(oursSide, admin)];
    const rawBest = Math.max(...rawRates);
    const ourBest = Math.max(...ourRates);
    const rawLatency = await latency(rawSide, admin);
    const ourLatency = await latency(oursSide, admin);
    console.log('\n                 ours          raw kafkajs   ratio');
    console.log(
      `throughput msg/s ${Math.round(ourBest).toLocaleString('en').padStart(9)}   ${Math.round(rawBest).toLocaleString('en').padStart(9)}     ${(ourBest / rawBest).toFixed(2)}×`,
    );
    console.log(
      `latency p50 ms   ${ourLatency.p50.toFixed(1).padStart(9)}   ${rawLatency.p50.toFixed(1).padStart(9)}     ${(ourLatency.p50 / rawLatency.p50).toFixed(2)}×`,
    );
    console.log(
      `latency p99 ms   ${ourLatency.p99.toFixed(1).padStart(9)}   ${rawLatency.p99.toFixed(1).padStart(9)}     ${(ourLatency.p99 / rawLatency.p99).toFixed(2)}×`,
    );
    await rawSide.close();
    await oursSide.close();
  } finally {
    await stop();
  }
}

// ---- the embedded bus ----------------------------------------------------------------------------------------------

const RAW_SCHEMA = `
create table raw_messages (
  topic text not null, partition integer not null, "offset" bigint not null, key text, value bytea not null,
  headers text not null, primary key (topic, partition, "offset"));
create table raw_offsets (
  group_id text not null, topic text not null, partition integer not null, committed bigint not null,
  primary key (group_id, topic, partition))`;

const PARTITIONS = 6;
const wire = (m: OutgoingMessage) => ({
  key: m.key,
  value: Buffer.isBuffer(m.value) ? m.value : Buffer.from(m.value),
  headers: JSON.stringify(m.headers ?? {}),
});

/** The same rows a plain table would get, with offsets counted in the process (no concurrency to guard against). */
function rawPublisher(sql: Sql, topic: string) {
  const next = Array.from({ length: PARTITIONS }, () => 0);
  return async (messages: readonly OutgoingMessage[]) => {
    const params: unknown[] = [];
    const tuples = messages.map((m) => {
      const partition = partitionOf(m.key, PARTITIONS);
      const { key, value, headers } = wire(m);
      const offset = next[partition] ?? 0;
      next[partition] = offset + 1;
      params.push(topic, partition, offset, key, value, headers);
      const p = params.length - 6;
      return `($${p + 1}, $${p + 2}, $${p + 3}, $${p + 4}, $${p + 5}, $${p + 6})`;
    });
    await sql.query(
      `insert into raw_messages (topic, partition, "offset", key, value, headers) values ${tuples.join(', ')}`,
      params,
    );
  };
}

/** The least a durable consumer does: per partition, read 100 rows, commit each after its (empty) handler. */
function rawConsumer(sql: Sql, topic: string, onMessage: (headers: Record<string, string>) => void) {
  let stopped = false;
  const loops = Array.from({ length: PARTITIONS }, async (_, partition) => {
    await sql.query('insert into raw_offsets values ($1, $2, $3, 0)', ['raw', topic, partition]);
    let next = 0;
    while (!stopped) {
      const rows = await sql.query<{ offset: number | string; headers: string }>(
        `select "offset", key, encode(value, 'hex') as value, headers from raw_messages
          where topic = $1 and partition = $2 and "offset" >= $3 order by "offset" limit 100`,
        [topic, partition, next],
      );
      if (rows.length === 0) await new Promise((resolve) => setImmediate(resolve)); // polls: the baseline's favour
      for (const row of rows) {
        const parsed: unknown = JSON.parse(row.headers);
        const headers: Record<string, string> = {};
        if (parsed !== null && typeof parsed === 'object') {
          for (const [k, v] of Object.entries(parsed)) if (typeof v === 'string') headers[k] = v;
        }
        onMessage(headers);
        next = Number(row.offset) + 1;
        await sql.query('update raw_offsets set committed = $4 where group_id = $1 and topic = $2 and partition = $3', [
          'raw',
          topic,
          partition,
          next,
        ]);
      }
    }
  });
  return async () => {
    stopped = true;
    await Promise.all(loops);
  };
}

async function seconds(work: () => Promise<void>): Promise<number> {
  const started = performance.now();
  await work();
  return (performance.now() - started) / 1_000;
}

interface EmbeddedRow {
  engine: string;
  operation: string;
  ours: number;
  raw: number;
}

async function embeddedEngine(engine: string, sql: Sql, scaleFactor: number): Promise<EmbeddedRow[]> {
  await sql.exec(RAW_SCHEMA);
  const bus = await PostgresEventBus.open(sql, { retentionIntervalMs: 0 });
  const rows: EmbeddedRow[] = [];
  const newTopic = async () => {
    const topic = `bench.${tag()}`;
    await bus.ensureTopics([{ topic, partitions: PARTITIONS }]);
    return topic;
  };
  const best = async (rounds: number, count: number, ours: () => Promise<void>, raw: () => Promise<void>) => {
    let bestOurs = 0;
    let bestRaw = 0;
    for (let round = 0; round < rounds; round++) {
      bestRaw = Math.max(bestRaw, count / (await seconds(raw)));
      bestOurs = Math.max(bestOurs, count / (await seconds(ours)));
    }
    return { ours: bestOurs, raw: bestRaw };
  };

  const single = Math.max(200, Math.round(1_000 * scaleFactor));
  rows.push({
    engine,
    operation: 'publish, 1 message per call',
    ...(await best(
      3,
      single,
      async () => {
        const topic = await newTopic();
        for (let i = 0; i < single; i++) await bus.publish(topic, [message(i)]);
      },
      async () => {
        const publish = rawPublisher(sql, `raw.${tag()}`);
        for (let i = 0; i < single; i++) await publish([message(i)]);
      },
    )),
  });

  const batches = Math.max(10, Math.round(50 * scaleFactor));
  const batch = (from: number) => Array.from({ length: 100 }, (_, j) => message(from + j));
  rows.push({
    engine,
    operation: 'publish, 100 messages per call',
    ...(await best(
      3,
      batches * 100,
      async () => {
        const topic = await newTopic();
        for (let c = 0; c < batches; c++) await bus.publish(topic, batch(c * 100));
      },
      async () => {
        const publish = rawPublisher(sql, `raw.${tag()}`);
        for (let c = 0; c < batches; c++) await publish(batch(c * 100));
      },
    )),
  });

  const total = Math.max(1_000, Math.round(5_000 * scaleFactor));
  const endToEnd = async (
    publish: (messages: OutgoingMessage[]) => Promise<void>,
    consume: (onMessage: () => void) => Promise<() => Promise<void>>,
  ) => {
    let received = 0;
    let allIn: () => void = () => undefined;
    const done = new Promise<void>((resolve) => {
      allIn = resolve;
    });
    const stop = await consume(() => {
      if (++received === total) allIn();
    });
    const took = await seconds(async () => {
      for (let i = 0; i < total; i += 100) await publish(batch(i));
      await done;
    });
    await stop();
    return took;
  };
  let bestOurs = 0;
  let bestRaw = 0;
  for (let round = 0; round < 2; round++) {
    const rawTopic = `raw.${tag()}`;
    bestRaw = Math.max(
      bestRaw,
      total / (await endToEnd(rawPublisher(sql, rawTopic), async (on) => rawConsumer(sql, rawTopic, on))),
    );
    const topic = await newTopic();
    bestOurs = Math.max(
      bestOurs,
      total /
        (await endToEnd(
          (messages) => bus.publish(topic, messages),
          async (on) => {
            const consumer = await bus.subscribe({ groupId: `bench-${tag()}`, topics: [topic] }, async () => on());
            return () => consumer.stop();
          },
        )),
    );
  }
  rows.push({ engine, operation: 'publish (100 per call) → handled and committed', ours: bestOurs, raw: bestRaw });

  // Latency at 200 messages/s, one message per call.
  const topic = await newTopic();
  const samples: number[] = [];
  const count = RATE * Math.max(3, Math.round(5 * scaleFactor));
  const consumer = await bus.subscribe({ groupId: `bench-${tag()}`, topics: [topic] }, async (m) => {
    samples.push(performance.now() + performance.timeOrigin - Number(m.headers.bench_sent_at));
  });
  const started = performance.now();
  for (let i = 0; i < count; i++) {
    const wait = started + (i * 1_000) / RATE - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const m = message(i);
    await bus.publish(topic, [
      { ...m, headers: { ...m.headers, bench_sent_at: String(performance.now() + performance.timeOrigin) } },
    ]);
  }
  const deadline = Date.now() + 10_000;
  while (samples.length < count && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  await consumer.stop();
  rows.push({ engine, operation: 'latency p50 ms (200/s)', ours: percentile(samples, 50), raw: Number.NaN });
  rows.push({ engine, operation: 'latency p99 ms (200/s)', ours: percentile(samples, 99), raw: Number.NaN });
  await bus.close();
  return rows;
}

async function embeddedBench() {
  const rows: EmbeddedRow[] = [];
  const memory = pgliteSql(await PGlite.create());
  rows.push(...(await embeddedEngine('PGlite (memory)', memory, scale)));
  await memory.close();

  const dir = await mkdtemp(join(tmpdir(), 'bk-bus-bench-'));
  const onDisk = pgliteSql(await PGlite.create(join(dir, 'data')));
  try {
    rows.push(...(await embeddedEngine('PGlite (data dir)', onDisk, scale)));
  } finally {
    await onDisk.close();
    await rm(dir, { recursive: true, force: true });
  }

  const database = await createDatabase(serverUrl, 'bench_bus').catch((error: unknown) => {
    console.log(`PostgreSQL server not measured: ${String(error)}`);
    return undefined;
  });
  if (database) {
    const server = pgSql({ connectionString: database.url, max: 10 });
    try {
      rows.push(...(await embeddedEngine('PostgreSQL', server, scale)));
    } finally {
      await server.close();
      await database.drop();
    }
  }

  console.log('\nembedded bus (PostgresEventBus)                          ours         raw    ratio   ours µs/msg');
  for (const row of rows) {
    const latency = row.operation.startsWith('latency');
    const ours = latency ? row.ours.toFixed(1) : Math.round(row.ours).toLocaleString('en');
    const raw = latency ? '' : Math.round(row.raw).toLocaleString('en');
    const ratio = latency ? '' : `${(row.ours / row.raw).toFixed(2)}×`;
    const cost = latency ? '' : (1e6 / row.ours).toFixed(0);
    console.log(
      `${`${row.engine}, ${row.operation}`.padEnd(56)} ${ours.padStart(9)} ${raw.padStart(11)} ${ratio.padStart(8)} ${cost.padStart(13)}`,
    );
  }
}

if (which !== 'kafka') await embeddedBench();
if (which !== 'embedded') await kafkaBench();
