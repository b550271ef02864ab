/**
 * The EventBus on Kafka (kafkajs). Producer: idempotent, acks from all in-sync replicas, Kafka's murmur2
 * partitioner on the key. Consumers: one kafkajs consumer per subscription; partitions are handled concurrently,
 * each partition's messages one after another; offsets are resolved only after the handler succeeded or the
 * message was dead-lettered, and kafkajs commits resolved offsets after each batch and on disconnect.
 *
 * Nothing here stops silently:
 * - ensureTopics waits until the topics exist and every partition has a leader. A broker that has just started (or
 *   just created a topic) answers "does not host this topic-partition" or "leader not available" for a while, and
 *   another service may be creating the same topics at the same moment; those are retried with a capped, jittered
 *   pause until a deadline, then it fails naming the topics and the last error.
 * - a consumer that crashes (kafkajs gives up after its own retries, e.g. while the broker is away) or cannot start
 *   is started again, as a new kafkajs consumer, after a pause doubling up to a cap; every failure is logged and
 *   counted, and `health()` says since when it is failing. kafkajs' own restart is switched off, because it does not
 *   restart after errors it deems not retriable and then stays down without a word.
 */
import {
  type Admin,
  type EachMessageHandler,
  Kafka,
  type KafkaConfig,
  type Consumer as KafkaConsumer,
  type logCreator,
  logLevel,
  Partitioners,
  type Producer,
} from 'kafkajs';
import { deliver } from './delivery.ts';
import type {
  Consumer,
  ConsumerHealth,
  ConsumerOptions,
  EventBus,
  MessageHandler,
  OutgoingMessage,
  TopicSpec,
} from './types.ts';

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
  /** How long ensureTopics keeps trying before it fails (default 120,000 ms: a broker may take a while to start). */
  readonly topicsReadyTimeoutMs?: number;
  /** The pause before a failed consumer starts again: doubling from `initialMs` up to `maxMs` (1 s … 30 s). */
  readonly consumerRestart?: { readonly initialMs?: number; readonly maxMs?: number };
  /** Where consumer failures and recoveries are logged (a pino logger fits); default: JSON lines on stderr. */
  readonly logger?: BusLogger;
  /** Called on every consumer failure, after it is logged (e.g. to count it in a metric). */
  readonly onConsumerError?: (failure: ConsumerFailure) => void;
}

/** The part of a (pino) logger the bus uses: constant messages, data in fields. */
export interface BusLogger {
  error(fields: Record<string, unknown>, message: string): void;
  info(fields: Record<string, unknown>, message: string): void;
}

export interface ConsumerFailure {
  readonly groupId: string;
  /** `start`: connecting, subscribing or joining failed; `crash`: kafkajs gave up on a running consumer. */
  readonly phase: 'start' | 'crash';
  readonly error: unknown;
  /** Failures of this consumer so far, this one included. */
  readonly failures: number;
  readonly failingSince: Date;
  /** When it is started again. */
  readonly restartInMs: number;
}

/** ensureTopics gave up: the topics did not exist with a leader for every partition before the deadline. */
export class TopicsNotReady extends Error {
  readonly topics: readonly string[];
  constructor(topics: readonly string[], waitedMs: number, options: { cause: unknown }) {
    super(
      `Kafka topics not ready after ${Math.round(waitedMs / 1_000)} s (created, with a leader for every partition): ` +
        `${topics.join(', ')}; last error: ${describeError(options.cause)}`,
      options,
    );
    this.name = 'TopicsNotReady';
    this.topics = topics;
  }
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
 * message stays uncommitted on purpose), protocol states kafkajs retries by itself (a rebalance in progress, a
 * coordinator still loading), and the raw error answers a connection logs while ensureTopics waits for new topics
 * (a topic not yet known, no leader yet, created by someone else meanwhile) — if that wait fails, ensureTopics says so.
 */
const EXPECTED = /DeliveryAbandoned|rebalancing|coordinator is loading|coordinator is not available/;
const EXPECTED_ANSWERS =
  /does not host this topic-partition|There is no leader for this topic-partition|not the leader for that topic-partition|Topic creation errors/;
const quietLogCreator: logCreator =
  () =>
  ({ namespace, level, log }) => {
    const { error, stack } = log as { error?: unknown; stack?: unknown };
    if (EXPECTED.test(String(error)) || EXPECTED.test(String(stack))) return;
    if (namespace === 'Connection' && EXPECTED_ANSWERS.test(String(error))) return;
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

/** Doubling from `initialMs` to `maxMs`, then a random half to all of it, so restarts of many clients do not align. */
const jitteredBackoffMs = (attempt: number, initialMs: number, maxMs: number): number => {
  const exponential = Math.min(maxMs, initialMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(exponential / 2 + Math.random() * (exponential / 2));
};

/** An error's own fields (kafkajs: `type`, nested `cause` and `errors`), without assuming a shape. */
const field = (value: unknown, name: string): unknown =>
  typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[name] : undefined;

/** The error and its causes on one line (kafkajs wraps: "retries exceeded" ← "connection refused"). */
export const describeError = (error: unknown): string => {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current !== undefined && current !== null && depth < 4; depth++) {
    parts.push(current instanceof Error ? `${current.name}: ${current.message}` : String(current));
    const cause = field(current, 'cause');
    current = cause === current ? undefined : cause;
  }
  const text = parts.filter((part, i) => part !== parts[i - 1]).join(' ← ');
  return text.length > 1_000 ? `${text.slice(0, 1_000)}…` : text;
};

/** kafkajs protocol error types anywhere in an error (its causes, an aggregate's errors). */
const errorTypes = (error: unknown, depth = 0): string[] => {
  if (depth > 4 || typeof error !== 'object' || error === null) return [];
  const own = field(error, 'type');
  const nested = field(error, 'errors');
  return [
    ...(typeof own === 'string' ? [own] : []),
    ...errorTypes(field(error, 'cause'), depth + 1),
    ...(Array.isArray(nested) ? nested.flatMap((e: unknown) => errorTypes(e, depth + 1)) : []),
  ];
};

/**
 * Errors that waiting does not cure (a bad name or partition count, no authorisation, a bug): ensureTopics fails
 * at once on these. Everything else — the topic not yet known, no leader yet, no controller yet, a timeout, no
 * connection — is retried until the deadline.
 */
const PERMANENT_TOPIC_ERRORS = new Set([
  'INVALID_TOPIC_EXCEPTION',
  'INVALID_PARTITIONS',
  'INVALID_REPLICATION_FACTOR',
  'INVALID_REPLICA_ASSIGNMENT',
  'INVALID_CONFIG',
  'INVALID_REQUEST',
  'POLICY_VIOLATION',
  'TOPIC_AUTHORIZATION_FAILED',
  'CLUSTER_AUTHORIZATION_FAILED',
  'UNSUPPORTED_VERSION',
]);
const isPermanentTopicError = (error: unknown): boolean =>
  error instanceof TypeError ||
  error instanceof RangeError ||
  error instanceof ReferenceError ||
  errorTypes(error).some((type) => PERMANENT_TOPIC_ERRORS.has(type));

/** A concurrent creator won: every error of the (aggregate) error says the topic exists already. */
const onlyAlreadyExists = (error: unknown): boolean => {
  const types = errorTypes(error);
  return types.length > 0 && types.every((type) => type === 'TOPIC_ALREADY_EXISTS');
};

const stderrLogger: BusLogger = {
  error: (fields, message) =>
    void process.stderr.write(`${JSON.stringify({ level: 'ERROR', logger: 'kafka-event-bus', message, ...fields })}\n`),
  info: (fields, message) =>
    void process.stderr.write(`${JSON.stringify({ level: 'INFO', logger: 'kafka-event-bus', message, ...fields })}\n`),
};

type SupervisedConsumer = Consumer & { health(): ConsumerHealth };

export class KafkaEventBus implements EventBus {
  readonly #kafka: Kafka;
  readonly #options: KafkaEventBusOptions;
  readonly #log: BusLogger;
  readonly #consumers = new Set<SupervisedConsumer>();
  readonly #knownTopics = new Set<string>();
  #producer: Promise<Producer> | undefined;
  #admin: Promise<Admin> | undefined;

  constructor(kafka: Kafka, options: KafkaEventBusOptions = {}) {
    this.#kafka = kafka;
    this.#options = options;
    this.#log = options.logger ?? stderrLogger;
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

  /** Connected once and shared; a failed connect is forgotten, so the next call tries again. */
  #connectedAdmin(): Promise<Admin> {
    this.#admin ??= (async () => {
      const admin = this.#kafka.admin();
      await admin.connect();
      return admin;
    })().catch((error: unknown) => {
      this.#admin = undefined;
      throw error;
    });
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
    })().catch((error: unknown) => {
      this.#producer = undefined;
      throw error;
    });
    return this.#producer;
  }

  /**
   * Creates the topics that are missing and returns once every partition of every topic has a leader, so that the
   * first publish and the first consumer find them. Safe to race with other processes creating the same topics.
   */
  async ensureTopics(topics: readonly TopicSpec[]): Promise<void> {
    const missing = topics.filter((t) => !this.#knownTopics.has(t.topic));
    if (missing.length === 0) return;
    const names = missing.map((t) => t.topic);
    const timeoutMs = this.#options.topicsReadyTimeoutMs ?? 120_000;
    const started = Date.now();
    for (let attempt = 1; ; attempt++) {
      let lastError: unknown;
      try {
        const admin = await this.#connectedAdmin();
        const existing = new Set(await admin.listTopics());
        const create = missing.filter((t) => !existing.has(t.topic));
        if (create.length > 0) {
          // Leaders are awaited below: kafkajs' own wait gives up on the first "does not host this topic-partition".
          await admin
            .createTopics({
              waitForLeaders: false,
              topics: create.map((t) => ({
                topic: t.topic,
                numPartitions: t.partitions ?? this.#options.defaultPartitions ?? 6,
                replicationFactor: -1, // the broker's default
              })),
            })
            .catch((error: unknown) => {
              if (!onlyAlreadyExists(error)) throw error; // another process created them meanwhile: fine
            });
        }
        const leaderless = await this.#topicsWithoutLeaders(admin, names);
        if (leaderless.length === 0) {
          for (const name of names) this.#knownTopics.add(name);
          return;
        }
        lastError = new Error(`no leader yet for a partition of ${leaderless.join(', ')}`);
      } catch (error) {
        if (isPermanentTopicError(error)) throw error;
        lastError = error;
      }
      const left = started + timeoutMs - Date.now();
      if (left <= 0) throw new TopicsNotReady(names, Date.now() - started, { cause: lastError });
      await sleep(Math.min(left, jitteredBackoffMs(attempt, 100, 2_000)));
    }
  }

  /**
   * The topics among `names` that the broker does not yet know, or that have a partition without a leader. A leader
   * in the metadata may not serve its partition yet, so each leader is asked for the partition's offsets as well.
   */
  async #topicsWithoutLeaders(admin: Admin, names: readonly string[]): Promise<string[]> {
    // Throws "does not host this topic-partition" or "leader not available" while the broker catches up.
    const { topics } = await admin.fetchTopicMetadata({ topics: [...names] });
    const leaderless = names.filter((name) => {
      const partitions = topics.find((t) => t.name === name)?.partitions ?? [];
      return partitions.length === 0 || partitions.some((p) => p.leader < 0);
    });
    if (leaderless.length > 0) return leaderless;
    // Throws "not the leader for that topic-partition" until every leader has taken its partition on.
    for (const name of names) await admin.fetchTopicOffsets(name);
    return [];
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
    const handle = this.#supervise(options, handler);
    this.#consumers.add(handle);
    return handle;
  }

  /**
   * Runs the subscription as a kafkajs consumer and, whenever that consumer crashes or cannot start, logs it and
   * starts a new one after a pause. Each start is one generation: a failure counts once, and only for the generation
   * that is current (a late event of an abandoned consumer changes nothing).
   */
  #supervise(options: ConsumerOptions, handler: MessageHandler): SupervisedConsumer {
    const { groupId } = options;
    const initialMs = this.#options.consumerRestart?.initialMs ?? 1_000;
    const maxMs = this.#options.consumerRestart?.maxMs ?? 30_000;
    let stopping = false;
    let generation = 0;
    let current: KafkaConsumer | undefined;
    let starting: Promise<void>;
    let restartTimer: NodeJS.Timeout | undefined;
    let failingSince: Date | undefined;
    let failures = 0;
    let failuresInRow = 0;
    let joined: () => void = () => undefined;
    const ready = new Promise<void>((resolve) => {
      joined = resolve;
    });

    const eachMessage = this.#eachMessage(options, handler, () => stopping);

    const fail = (of: number, phase: ConsumerFailure['phase'], error: unknown) => {
      if (stopping || of !== generation) return;
      generation++;
      failures++;
      failuresInRow++;
      failingSince ??= new Date();
      const restartInMs = jitteredBackoffMs(failuresInRow, initialMs, maxMs);
      const failed = current;
      current = undefined;
      this.#log.error(
        {
          groupId,
          phase,
          failures,
          failingSince: failingSince.toISOString(),
          restartInMs,
          error: describeError(error),
        },
        'Kafka consumer failed; starting it again after a pause',
      );
      try {
        this.#options.onConsumerError?.({ groupId, phase, error, failures, failingSince, restartInMs });
      } catch {
        // A failing callback must not stop the restart.
      }
      // After a crash kafkajs has disconnected it already; after a failed start it may hold connections.
      void failed?.disconnect().catch(() => undefined);
      restartTimer = setTimeout(restart, restartInMs);
    };

    const create = (): KafkaConsumer =>
      this.#kafka.consumer({
        groupId,
        allowAutoTopicCreation: false,
        sessionTimeout: this.#options.sessionTimeoutMs ?? 30_000,
        heartbeatInterval: 3_000,
        // Restarts are ours (`fail`): kafkajs would not restart after an error it deems not retriable.
        retry: { retries: 10, restartOnFailure: async () => false },
      });

    const start = async (consumer: KafkaConsumer): Promise<void> => {
      const mine = generation;
      current = consumer;
      consumer.on(consumer.events.GROUP_JOIN, () => {
        if (mine !== generation) return;
        if (failingSince) {
          this.#log.info(
            { groupId, failures, failingForMs: Date.now() - failingSince.getTime() },
            'Kafka consumer running again',
          );
        }
        failingSince = undefined;
        failuresInRow = 0;
        joined();
      });
      consumer.on(consumer.events.CRASH, ({ payload }) => fail(mine, 'crash', payload.error));
      // Stopped (or given up on) while a step was under way: this consumer must not go on to consume.
      const abandoned = () => stopping || mine !== generation;
      try {
        await consumer.connect();
        if (abandoned()) {
          await consumer.disconnect();
          return;
        }
        await consumer.subscribe({ topics: [...options.topics], fromBeginning: options.fromBeginning ?? true });
        if (abandoned()) {
          await consumer.disconnect();
          return;
        }
        // Resolves once the group is joined (a failed join is reported as a crash), which after a crash waits for
        // the dead member's session to expire: `ready` says when the consumer has joined.
        await consumer.run({
          autoCommit: true,
          autoCommitInterval: this.#options.autoCommitIntervalMs ?? 1_000,
          autoCommitThreshold: this.#options.autoCommitThreshold ?? 1_000,
          partitionsConsumedConcurrently: this.#options.partitionsConsumedConcurrently ?? 3,
          eachMessage,
        });
      } catch (error) {
        fail(mine, 'start', error);
      }
    };

    const restart = () => {
      restartTimer = undefined;
      if (stopping) return;
      try {
        starting = start(create());
      } catch (error) {
        fail(generation, 'start', error);
      }
    };

    // The first consumer is created here, so that a configuration kafkajs refuses fails the subscribe itself.
    starting = start(create());
    const handle: SupervisedConsumer = {
      groupId,
      ready,
      health: () => ({ failingSince, failures }),
      stop: async () => {
        if (stopping) return;
        stopping = true;
        clearTimeout(restartTimer);
        joined();
        // A start still under way (joining, or retrying a connection) is given a moment to finish, not forever.
        let waited: NodeJS.Timeout | undefined;
        await Promise.race([
          starting,
          new Promise<void>((resolve) => {
            waited = setTimeout(resolve, 5_000);
          }),
        ]);
        clearTimeout(waited);
        const consumer = current;
        current = undefined;
        await consumer?.disconnect().catch(() => undefined);
        this.#consumers.delete(handle);
      },
    };
    return handle;
  }

  #eachMessage(options: ConsumerOptions, handler: MessageHandler, stopping: () => boolean): EachMessageHandler {
    return async ({ topic, partition, message, heartbeat }) => {
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
        stopping,
        async (ms) => {
          // Wait in slices, keeping the group session alive and noticing a stop.
          for (let left = ms; left > 0 && !stopping(); left -= 1_000) {
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
    };
  }

  /** Every subscribed consumer's health (see Consumer.health), e.g. for readiness or a metric. */
  consumerHealth(): ReadonlyArray<{ readonly groupId: string } & ConsumerHealth> {
    return [...this.#consumers].map((c) => ({ groupId: c.groupId, ...c.health() }));
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
    const [producer, admin] = await Promise.all([
      this.#producer?.catch(() => undefined),
      this.#admin?.catch(() => undefined),
    ]);
    await Promise.allSettled([producer?.disconnect(), admin?.disconnect()]);
  }
}
