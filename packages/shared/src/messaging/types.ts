/**
 * The EventBus port: how services exchange integration events. Adapters: Kafka (kafkajs) for the distributed mode,
 * the embedded database (PostgresEventBus, on PGlite) for the embedded mode. Both keep the same guarantees:
 * - order per key: messages with one key (the case id) go to one partition and are handled one after another;
 * - an offset is committed only after its handler succeeded (or the message went to the dead-letter topic);
 * - a failing handler is retried with exponential backoff, a bounded number of times; then the message goes to
 *   `<topic>.dlq.<group>` with the error and its original headers, and the partition moves on;
 * - stop() lets a handler that is running finish; a message it could not finish is not committed (redelivered later).
 * Delivery is at-least-once: handlers must be idempotent (see idempotent-consumer.ts).
 */

export interface OutgoingMessage {
  /** The partitioning key: the case id for integration events. */
  readonly key: string;
  readonly value: Buffer | string;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface IncomingMessage {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly key: string | null;
  readonly value: Buffer;
  readonly headers: Readonly<Record<string, string>>;
  /** 1 for the first try, then 2, 3, … while the handler is retried. */
  readonly attempt: number;
}

export type MessageHandler = (message: IncomingMessage) => Promise<void>;

export interface RetryPolicy {
  /** Tries in all, the first included (default 5). */
  readonly maxAttempts?: number;
  readonly initialBackoffMs?: number;
  readonly maxBackoffMs?: number;
}

export interface ConsumerOptions {
  readonly groupId: string;
  readonly topics: readonly string[];
  /** Where a group without a committed offset starts (default true: the beginning). */
  readonly fromBeginning?: boolean;
  readonly retry?: RetryPolicy;
  /** Errors not worth retrying (e.g. a message that violates its contract): straight to the dead-letter topic. */
  readonly isPermanent?: (error: unknown) => boolean;
}

export interface Consumer {
  readonly groupId: string;
  /** Resolves once the consumer has joined its group and been assigned partitions. */
  readonly ready: Promise<void>;
  /** Stops fetching; waits for a running handler; commits what succeeded, nothing else. */
  stop(): Promise<void>;
  /**
   * Whether the consumer itself is failing (it crashed or could not start, and is waiting to start again), for
   * readiness and metrics. A handler's failures do not count: they are retried and dead-lettered per message.
   * Optional: an adapter whose consumers cannot fail that way (in-process) may leave it out.
   */
  health?(): ConsumerHealth;
}

export interface ConsumerHealth {
  /** When the current run of failures began; undefined while the consumer runs (it has joined its group). */
  readonly failingSince: Date | undefined;
  /** Failures (crashes and failed starts) since it was subscribed; each one restarted it after a pause. */
  readonly failures: number;
}

export interface TopicSpec {
  readonly topic: string;
  readonly partitions?: number;
}

export interface EventBus {
  /** Creates missing topics (and their dead-letter topics are created on first use). */
  ensureTopics(topics: readonly TopicSpec[]): Promise<void>;
  publish(topic: string, messages: readonly OutgoingMessage[]): Promise<void>;
  subscribe(options: ConsumerOptions, handler: MessageHandler): Promise<Consumer>;
  /** Messages on `topics` not yet committed by `groupId` (for the consumer-lag metric). */
  consumerLag(groupId: string, topics: readonly string[]): Promise<number>;
  /** Whether the bus answers now (for readiness probes); never throws. */
  isReachable(): Promise<boolean>;
  close(): Promise<void>;
}

export const dlqTopicOf = (topic: string, groupId: string): string => `${topic}.dlq.${groupId}`;

/** Headers a dead-lettered message carries besides its original ones. */
export const DLQ_HEADERS = {
  error: 'dlq_error',
  topic: 'dlq_original_topic',
  partition: 'dlq_original_partition',
  offset: 'dlq_original_offset',
  group: 'dlq_group',
  attempts: 'dlq_attempts',
  failedAt: 'dlq_failed_at',
} as const;
