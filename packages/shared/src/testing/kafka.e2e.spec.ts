import { describe, expect, it } from 'vitest';
import { useTestKafka } from './kafka.ts';
import { describeWith } from './requirements.ts';

const messages = (from: number, to: number) =>
  Array.from({ length: to - from }, (_, i) => ({ key: `case-${from + i}`, value: `message-${from + i}` }));

describeWith('kafka', 'the real Kafka broker', (brokers) => {
  const kafka = useTestKafka(brokers);

  describe('a consumer group that committed an offset and restarts', () => {
    it('resumes right after the committed offset, with nothing lost and nothing repeated', async () => {
      const topic = await kafka.createTopic('smoke', 1);
      const group = kafka.topicName('smoke-group');
      const producer = kafka.client('smoke-producer').producer();
      await producer.connect();
      await producer.send({ topic, messages: messages(0, 10) });

      // First run: handle offsets 0..4, commit 5 explicitly (autoCommit off), then stop.
      const first = kafka.client('smoke-consumer-1').consumer({ groupId: group });
      await first.connect();
      await first.subscribe({ topics: [topic], fromBeginning: true });
      const firstSeen: string[] = [];
      await new Promise<void>((resolve, reject) => {
        first
          .run({
            autoCommit: false,
            eachMessage: async ({ partition, message }) => {
              const offset = Number(message.offset);
              if (offset >= 5) return; // handled after the restart, never committed here
              firstSeen.push(String(message.value));
              if (offset === 4) {
                await first.commitOffsets([{ topic, partition, offset: String(offset + 1) }]);
                resolve();
              }
            },
          })
          .catch(reject);
      });
      await first.disconnect();
      expect(firstSeen).toEqual(messages(0, 5).map((m) => m.value));

      const admin = kafka.client('smoke-admin').admin();
      await admin.connect();
      const [committed] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
      await admin.disconnect();
      expect(committed?.partitions).toEqual([expect.objectContaining({ partition: 0, offset: '5' })]);

      // More messages arrive while the group is down.
      await producer.send({ topic, messages: messages(10, 12) });
      await producer.disconnect();

      // Second run of the same group: starts at offset 5, sees 5..11 exactly once, in order.
      const second = kafka.client('smoke-consumer-2').consumer({ groupId: group });
      await second.connect();
      await second.subscribe({ topics: [topic], fromBeginning: true });
      const secondSeen: { offset: string; key: string; value: string }[] = [];
      await new Promise<void>((resolve, reject) => {
        second
          .run({
            eachMessage: async ({ message }) => {
              secondSeen.push({ offset: message.offset, key: String(message.key), value: String(message.value) });
              if (secondSeen.length === 7) resolve();
            },
          })
          .catch(reject);
      });
      await second.disconnect();
      expect(secondSeen).toEqual(
        messages(5, 12).map((m, i) => ({ offset: String(5 + i), key: m.key, value: m.value })),
      );
    });
  });

  describe('a keyed topic with several partitions', () => {
    it('delivers every message of one key from one partition, in the order produced', async () => {
      const topic = await kafka.createTopic('smoke-keys', 3);
      const producer = kafka.client('smoke-keys-producer').producer();
      await producer.connect();
      const sent = ['a', 'b', 'c'].flatMap((key) =>
        Array.from({ length: 5 }, (_, i) => ({ key, value: `${key}${i}` })),
      );
      await producer.send({ topic, messages: sent });
      await producer.disconnect();

      const consumer = kafka.client('smoke-keys-consumer').consumer({ groupId: kafka.topicName('smoke-keys-group') });
      await consumer.connect();
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      const byKey = new Map<string, { partition: number; value: string }[]>();
      await new Promise<void>((resolve, reject) => {
        let count = 0;
        consumer
          .run({
            eachMessage: async ({ partition, message }) => {
              const key = String(message.key);
              byKey.set(key, [...(byKey.get(key) ?? []), { partition, value: String(message.value) }]);
              if (++count === sent.length) resolve();
            },
          })
          .catch(reject);
      });
      await consumer.disconnect();
      for (const key of ['a', 'b', 'c']) {
        const received = byKey.get(key) ?? [];
        expect(received.map((r) => r.value)).toEqual([0, 1, 2, 3, 4].map((i) => `${key}${i}`));
        expect(new Set(received.map((r) => r.partition)).size).toBe(1);
      }
    });
  });
});
