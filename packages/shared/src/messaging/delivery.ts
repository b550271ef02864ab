/**
 * What both bus adapters do with one message: run the handler, retry with exponential backoff, and when the tries
 * are spent (or the error is permanent) hand back the dead-letter record to publish. Shared so the adapters cannot
 * drift apart in these rules.
 */
import { contextFrom, inSpan, SpanKind } from '../observability/tracing.ts';
import {
  type ConsumerOptions,
  DLQ_HEADERS,
  dlqTopicOf,
  type IncomingMessage,
  type MessageHandler,
  type OutgoingMessage,
} from './types.ts';

/** Raised inside delivery when the consumer is stopping: the message is abandoned, not committed. */
export class DeliveryAbandoned extends Error {
  constructor() {
    super('consumer stopping: message abandoned, not committed');
    this.name = 'DeliveryAbandoned';
  }
}

export type DeliveryOutcome =
  | { readonly kind: 'handled' }
  | {
      readonly kind: 'dead-letter';
      readonly topic: string;
      readonly message: OutgoingMessage;
      readonly error: unknown;
    };

const errorText = (error: unknown): string => {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return text.length > 2_000 ? `${text.slice(0, 2_000)}…` : text;
};

export function backoffMs(attempt: number, options: ConsumerOptions): number {
  const initial = options.retry?.initialBackoffMs ?? 100;
  const max = options.retry?.maxBackoffMs ?? 5_000;
  const exponential = Math.min(max, initial * 2 ** (attempt - 1));
  return Math.round(exponential / 2 + Math.random() * (exponential / 2)); // jitter, so retries do not align
}

/**
 * Runs `handler` on `message` until it succeeds, its tries are spent, or the consumer stops (`stopping()` true →
 * DeliveryAbandoned). `pause` waits between tries and may keep a group session alive (Kafka heartbeats).
 */
export async function deliver(
  message: Omit<IncomingMessage, 'attempt'>,
  handler: MessageHandler,
  options: ConsumerOptions,
  stopping: () => boolean,
  pause: (ms: number) => Promise<void>,
): Promise<DeliveryOutcome> {
  const maxAttempts = Math.max(1, options.retry?.maxAttempts ?? 5);
  for (let attempt = 1; ; attempt++) {
    if (stopping()) throw new DeliveryAbandoned();
    try {
      await inSpan(
        `process ${message.topic}`,
        {
          kind: SpanKind.CONSUMER,
          parent: contextFrom(message.headers.traceparent),
          attributes: {
            'messaging.destination.name': message.topic,
            'messaging.consumer.group.name': options.groupId,
            'messaging.kafka.offset': Number(message.offset),
            'messaging.attempt': attempt,
          },
        },
        () => handler({ ...message, attempt }),
      );
      return { kind: 'handled' };
    } catch (error) {
      const permanent = options.isPermanent?.(error) ?? false;
      if (permanent || attempt >= maxAttempts) {
        return {
          kind: 'dead-letter',
          topic: dlqTopicOf(message.topic, options.groupId),
          error,
          message: {
            key: message.key ?? '',
            value: message.value,
            headers: {
              ...message.headers,
              [DLQ_HEADERS.error]: errorText(error),
              [DLQ_HEADERS.topic]: message.topic,
              [DLQ_HEADERS.partition]: String(message.partition),
              [DLQ_HEADERS.offset]: message.offset,
              [DLQ_HEADERS.group]: options.groupId,
              [DLQ_HEADERS.attempts]: String(attempt),
              [DLQ_HEADERS.failedAt]: new Date().toISOString(),
            },
          },
        };
      }
      await pause(backoffMs(attempt, options));
    }
  }
}

/** A stable partition for a key: the same key always lands on the same partition (murmur2, as Kafka's default). */
export function partitionOf(key: string, partitions: number): number {
  const data = Buffer.from(key);
  const seed = 0x9747b28c;
  const m = 0x5bd1e995;
  const r = 24;
  let h = seed ^ data.length;
  let i = 0;
  for (; i + 4 <= data.length; i += 4) {
    let k = data.readInt32LE(i);
    k = Math.imul(k, m);
    k ^= k >>> r;
    k = Math.imul(k, m);
    h = Math.imul(h, m) ^ k;
  }
  const rest = data.length - i;
  if (rest === 3) h ^= (data[i + 2] ?? 0) << 16;
  if (rest >= 2) h ^= (data[i + 1] ?? 0) << 8;
  if (rest >= 1) {
    h ^= data[i] ?? 0;
    h = Math.imul(h, m);
  }
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return (h & 0x7fffffff) % partitions;
}
