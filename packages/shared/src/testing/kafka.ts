import { randomBytes } from 'node:crypto';
import { type Admin, Kafka, type KafkaConfig, logLevel } from 'kafkajs';
import { afterAll, inject } from 'vitest';

export interface TestKafka {
  readonly brokers: string[];
  /** A kafkajs client on the resolved broker. */
  client(clientId?: string, config?: Partial<KafkaConfig>): Kafka;
  /** A topic name unique to this run and file: `<base>.<runId>.<random>`. */
  topicName(base: string): string;
  /** Creates topics (unique names from `topicName`) and deletes them after the file. */
  createTopic(base: string, partitions?: number): Promise<string>;
}

/** Kafka for the calling test file: its topics are its own and are deleted after the file. */
export function useTestKafka(brokerList: string): TestKafka {
  const brokers = brokerList.split(',');
  const created: string[] = [];
  let admin: Admin | undefined;
  const client = (clientId = 'test', config: Partial<KafkaConfig> = {}) =>
    new Kafka({ clientId, brokers, logLevel: logLevel.ERROR, ...config });
  const topicName = (base: string) => `${base}.${inject('infra').runId}.${randomBytes(3).toString('hex')}`;

  afterAll(async () => {
    if (!admin) return;
    if (created.length > 0) await admin.deleteTopics({ topics: created, timeout: 10_000 }).catch(() => undefined);
    await admin.disconnect();
  });

  return {
    brokers,
    client,
    topicName,
    async createTopic(base, partitions = 3) {
      const topic = topicName(base);
      if (!admin) {
        admin = client('test-admin').admin();
        await admin.connect();
      }
      await admin.createTopics({
        topics: [{ topic, numPartitions: partitions, replicationFactor: 1 }],
        waitForLeaders: true,
      });
      created.push(topic);
      return topic;
    },
  };
}
