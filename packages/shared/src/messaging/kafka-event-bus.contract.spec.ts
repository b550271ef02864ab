import { describeWith } from '../testing/requirements.ts';
import { eventBusContract } from './event-bus.contract.ts';
import { KafkaEventBus } from './kafka-event-bus.ts';

describeWith('kafka', 'Kafka adapter on the real broker', (brokers) => {
  eventBusContract('Kafka', async () => {
    const bus = KafkaEventBus.connect(
      { brokers: brokers.split(','), clientId: 'contract' },
      { sessionTimeoutMs: 10_000 },
    );
    return { bus, close: () => bus.close() };
  });
});
