/**
 * `pnpm bench:bus`: our Kafka adapter against raw kafkajs on the real broker, in the same run.
 * - throughput: N messages (CloudEvents headers, ~400-byte JSON value) published in batches of 100, consumed by one
 *   consumer group; messages/s from the first send until the consumer has them all;
 * - latency at moderate load: 200 messages/s for 10 s, publish → handler, p50 and p99.
 * Raw kafkajs uses the same producer settings (idempotent, acks = all) and consumer settings (eachMessage,
 * 3 partitions at a time, auto-commit).
 *
 * Environment: KAFKA_BROKERS (else the broker from infra/kafka is started, and stopped after), BENCH_SCALE (1).
 */
import { randomBytes } from 'node:crypto';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { toKafkaRecord } from '../contracts/cloudevents.ts';
import { resolveKafkaOnly } from '../testing/infra.ts';
import { KafkaEventBus } from './kafka-event-bus.ts';
import type { OutgoingMessage } from './types.ts';

const scale = Number(process.env.BENCH_SCALE ?? '1');
const N = Math.max(1_000, Math.round(20_000 * scale));
const RATE = 200;
const LATENCY_SECONDS = Math.max(3, Math.round(10 * scale));
const tag = () => randomBytes(3).toString('hex');

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

async function main() {
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

await main();
