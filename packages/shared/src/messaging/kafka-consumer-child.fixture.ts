/**
 * A consumer process for the crash test: joins GROUP on TOPIC through KafkaEventBus and prints each handled value
 * on its own line. The test kills it with SIGKILL while it works.
 */
import { KafkaEventBus } from './kafka-event-bus.ts';

const [brokers = '', topic = '', groupId = ''] = process.argv.slice(2);
const bus = KafkaEventBus.connect(
  { brokers: brokers.split(','), clientId: 'crash-child' },
  { sessionTimeoutMs: 6_000, autoCommitIntervalMs: 200, autoCommitThreshold: 10 },
);
const consumer = await bus.subscribe({ groupId, topics: [topic] }, async (message) => {
  await new Promise((resolve) => setTimeout(resolve, 20));
  process.stdout.write(`${message.value.toString()}\n`);
});
await consumer.ready;
process.stdout.write('ready\n');
