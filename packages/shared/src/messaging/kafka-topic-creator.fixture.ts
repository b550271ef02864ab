/**
 * A process for the fresh-broker test: like a service starting, it ensures each topic named on the command line (one
 * after another, 6 partitions) and publishes one message to it right away; prints `ok`, or `failed: <error>` and
 * exits 1.
 */
import { describeError, KafkaEventBus } from './kafka-event-bus.ts';

const [brokers = '', ...topics] = process.argv.slice(2);
const bus = KafkaEventBus.connect({ brokers: brokers.split(','), clientId: `creator-${process.pid}` });
try {
  for (const topic of topics) {
    await bus.ensureTopics([{ topic, partitions: 6 }]);
    await bus.publish(topic, [{ key: `case-${process.pid}`, value: 'first' }]);
  }
  process.stdout.write('ok\n');
} catch (error) {
  process.stdout.write(`failed: ${describeError(error)}\n`);
  process.exitCode = 1;
} finally {
  await bus.close();
}
