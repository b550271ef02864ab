/**
 * The EventBus on Kafka (kafkajs). Producer: idempotent, acks from all in-sync replicas, Kafka's murmur2
 * partitioner on the key. Consumers: one kafkajs consumer per subscription; partitions are handled concurrently,
 * each partition's messages one after another; offsets are resolved only after the handler succeeded or the
 * message was dead-lettered, and kafkajs commits resolved offsets after each batch and on disconnect.
 */
import { type Admin, Kafka, type KafkaConfig, type logCreator, logLevel, Partitioners, type Producer } from 'kafkajs';
import { deliver } from './delivery.ts';
import type { Consumer, ConsumerOptions, EventBus, MessageHandler, OutgoingMessage, TopicSpec } from './types.ts';

export interface KafkaEventBusOptions {
  /** Partitions of topics this bus creates (default 6). */
  readonly defaultPartitions?: number;
  /** Partitions one consumer handles at the same time (default 3). */
  readonly partitionsConsumedConcurrently?: number;
  readonly sessionTimeoutMs?: number;
  /**
   * How often handled offsets are committed (default every 1,000 ms or 1,000 messages, whichever comes first, and at
   * the end of each batch): after a crash at most that much is delivered again.
   */
  readonly autoCommitIntervalMs?: number;
  readonly autoCommitThreshold?: number;
}

type HeaderValue = Buffer | string | (Buffer | string)[] | undefined;

const headerRecord = (headers: Record<string, HeaderValue> | undefined): Record<string, string> => {
  const record: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    const first = Array.isArray(value) ? value[0] : value;
    if (first !== undefined) record[name] = first.toString();
  }
  return record;
};

/**
 * kafkajs' own JSON log lines on stderr, less the expected ones: a handler abandoned because its consumer stops (the
 * message stays uncommitted on purpose), and protocol states kafkajs retries by itself (a rebalance in progress, a
 * coordinator still loading).
 */
const EXPECTED = /DeliveryAbandoned|rebalancing|coordinator is loading|coordinator is not available/;
const quietLogCreator: logCreator =
  () =>
  ({ namespace, level, log }) => {
    const { error, stack } = log as { error?: unknown; stack?: unknown };
    if (EXPECTED.test(String(error)) || EXPECTED.test(String(stack))) return;
    const label =
      level === logLevel.ERROR
        ? 'ERROR'
        : level === logLevel.WARN
          ? 'WARN'
          : level === logLevel.INFO
            ? 'INFO'
            : 'DEBUG';
    process.stderr.write(`${JSON.stringify({ level: label, logger: 'kafkajs', namespace, ...log })}\n`);
  };

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class KafkaEventBus implements EventBus {
  readonly #kafka: Kafka;
  readonly #options: KafkaEventBusOptions;
  readonly #consumers = new Set<Consumer>();
  readonly #knownTopics = new Set<string>();
  #producer: Promise<Producer> | undefined;
  #admin: Promise<Admin> | undefined;

  constructor(kafka: Kafka, options: KafkaEventBusOptions = {}) {
    this.#kafka = kafka;
    this.#options = options;
  }

  static connect(
    config: { brokers: readonly string[]; clientId: string } & Partial<KafkaConfig>,
    options: KafkaEventBusOptions = {},
  ): KafkaEventBus {
    return new KafkaEventBus(
      new Kafka({ logLevel: logLevel.WARN, logCreator: quietLogCreator, ...config, brokers: [...config.brokers] }),
      options,
    );
  }

  #connectedAdmin(): Promise<Admin> {
    this.#admin ??= (async () => {
      const admin = this.#kafka.admin();
      await admin.connect();
      return admin;
    })();
    return this.#admin;
  }

  #connectedProducer(): Promise<Producer> {
    this.#producer ??= (async () => {
      const producer = this.#kafka.producer({
        idempotent: true,
        maxInFlightRequests: 1,
        allowAutoTopicCreation: false,
        createPartitioner: Partitioners.DefaultPartitioner,
      });
      await producer.connect();
      return producer;
    })();
    return this.#producer;
  }

  async ensureTopics(topics: readonly TopicSpec[]): Promise<void> {
    const missing = topics.filter((t) => !this.#knownTopics.has(t.topic));
    if (missing.length === 0) return;
    const admin = await this.#connectedAdmin();
    const existing = new Set(await admin.listTopics());
    const create = missing.filter((t) => !existing.has(t.topic));
    if (create.length > 0) {
      await admin.createTopics({
        waitForLeaders: true,
        topics: create.map((t) => ({
          topic: t.topic,
          numPartitions: t.partitions ?? this.#options.defaultPartitions ?? 6,
          replicationFactor: -1, // the broker's default
        })),
      });
    }
    for (const t of missing) this.#knownTopics.add(t.topic);
  }

  async publish(topic: string, messages: readonly OutgoingMessage[]): Promise<void> {
    if (messages.length === 0) return;
    const producer = await this.#connectedProducer();
    await producer.send({
      topic,
      acks: -1,
      messages: messages.map((m) => ({ key: m.key, value: m.value, headers: { ...m.headers } })),
    });
  }

  async subscribe(options: ConsumerOptions, handler: MessageHandler): Promise<Consumer> {
    await this.ensureTopics(
      options.topics.map((topic) => ({ topic, ...(topic.includes('.dlq.') ? { partitions: 1 } : {}) })),
    );
    const consumer = this.#kafka.consumer({
      groupId: options.groupId,
      allowAutoTopicCreation: false,
      sessionTimeout: this.#options.sessionTimeoutMs ?? 30_000,
      heartbeatInterval: 3_000,
      retry: { retries: 10 },
    });
    let stopping = false;
    let joined: () => void = () => undefined;
    const ready = new Promise<void>((resolve) => {
      joined = resolve;
    });
    const removeJoinListener = consumer.on(consumer.events.GROUP_JOIN, () => joined());
    await consumer.connect();
    await consumer.subscribe({ topics: [...options.topics], fromBeginning: options.fromBeginning ?? true });
    // run() resolves only once the group is joined, which after a crash waits for the dead member's session to
    // expire: not awaited here, so a starting service is not held up; `ready` says when the consumer has joined.
    const running = consumer.run({
      autoCommit: true,
      autoCommitInterval: this.#options.autoCommitIntervalMs ?? 1_000,
      autoCommitThreshold: this.#options.autoCommitThreshold ?? 1_000,
      partitionsConsumedConcurrently: this.#options.partitionsConsumedConcurrently ?? 3,
      eachMessage: async ({ topic, partition, message, heartbeat }) => {
        const outcome = await deliver(
          {
            topic,
            partition,
            offset: message.offset,
            key: message.key === null ? null : message.key.toString(),
            value: message.value ?? Buffer.alloc(0),
            headers: headerRecord(message.headers),
          },
          handler,
          options,
          () => stopping,
          async (ms) => {
            // Wait in slices, keeping the group session alive and noticing a stop.
            for (let left = ms; left > 0 && !stopping; left -= 1_000) {
              await sleep(Math.min(left, 1_000));
              await heartbeat();
            }
          },
        );
        if (outcome.kind === 'dead-letter') {
          await this.ensureTopics([{ topic: outcome.topic, partitions: 1 }]);
          await this.publish(outcome.topic, [outcome.message]);
        }
        // Returning resolves the offset: kafkajs commits it. Throwing (DeliveryAbandoned) leaves it uncommitted.
      },
    });
    running.catch((error: unknown) => {
      if (!stopping) process.emitWarning(`consumer ${options.groupId} failed to start: ${String(error)}`);
    });
    const handle: Consumer = {
      groupId: options.groupId,
      ready,
      stop: async () => {
        if (stopping) return;
        stopping = true;
        removeJoinListener();
        joined();
        await running.catch(() => undefined);
        await consumer.disconnect();
        this.#consumers.delete(handle);
      },
    };
    this.#consumers.add(handle);
    return handle;
  }

  async consumerLag(groupId: string, topics: readonly string[]): Promise<number> {
    const admin = await this.#connectedAdmin();
    const committed = await admin.fetchOffsets({ groupId, topics: [...topics] });
    let lag = 0;
    for (const topic of topics) {
      const ends = await admin.fetchTopicOffsets(topic);
      const mine = committed.find((c) => c.topic === topic)?.partitions ?? [];
      for (const end of ends) {
        const at = Number(mine.find((p) => p.partition === end.partition)?.offset ?? '-1');
        const from = at < 0 ? Number(end.low) : at;
        lag += Math.max(0, Number(end.high) - from);
      }
    }
    return lag;
  }

  async isReachable(): Promise<boolean> {
    try {
      const admin = await this.#connectedAdmin();
      const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timeout')), 3_000).unref());
      await Promise.race([admin.describeCluster(), timeout]);
      return true;
    } catch {
      this.#admin = undefined; // reconnect on the next probe
      return false;
    }
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.#consumers].map((c) => c.stop()));
    const [producer, admin] = await Promise.all([this.#producer, this.#admin]);
    await Promise.allSettled([producer?.disconnect(), admin?.disconnect()]);
  }
}
