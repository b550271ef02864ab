/**
 * Consuming integration events idempotently. A redelivered or replayed message must change nothing: the consumer
 * turns each event into a command whose idempotency key is the event's id (`ce_id`) scoped by the consumer group,
 * so the command handler derives the same event ids again and recognises its own earlier effect (a replay), and the
 * store's idempotent append absorbs any race. A message that violates its contract goes to the dead-letter topic.
 */
import {
  type ContractRegistry,
  ContractViolation,
  fromKafkaRecord,
  type IntegrationEvent,
} from '../contracts/cloudevents.ts';
import type { IncomingMessage, MessageHandler } from './types.ts';

export interface ConsumedEvent {
  readonly event: IntegrationEvent;
  /** The idempotency key for the commands this event causes: `<group>:<ce_id>`. */
  readonly idempotencyKey: string;
  /** The id of the message that caused the command (metadata.causationId). */
  readonly causationId: string;
  readonly message: IncomingMessage;
}

export function idempotentHandler(
  groupId: string,
  registry: ContractRegistry,
  handle: (consumed: ConsumedEvent) => Promise<void>,
): MessageHandler {
  return async (message) => {
    const event = fromKafkaRecord(message, registry);
    await handle({ event, idempotencyKey: `${groupId}:${event.id}`, causationId: event.id, message });
  };
}

/** For ConsumerOptions.isPermanent: contract violations are not retried. */
export const isContractViolation = (error: unknown): boolean => error instanceof ContractViolation;
