/**
 * What the Kafka bus does when Kafka itself is the problem: a broker that has just started (topics created by several
 * clients at once), a consumer that cannot join its group for a while (an error kafkajs would not restart from), and
 * a broker that goes away and comes back. The destructive cases use a broker of this file's own (its own port and
 * data, reset before and after), so the broker the other test files share is never touched.
 */
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Kafka, logLevel, PartitionAssigners } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import { kafkaAnswers, kafkaScript } from '../testing/infra.ts';
import { describeWith } from '../testing/requirements.ts';
import { waitFor } from './event-bus.contract.ts';
import { type BusLogger, KafkaEventBus } from './kafka-event-bus.ts';
import type { Consumer, ConsumerHealth } from './types.ts';

const exec = promisify(execFile);
const creator = fileURLToPath(new URL('./kafka-topic-creator.fixture.ts', import.meta.url));
const tag = () => randomBytes(3).toString('hex');

/** Log lines as the bus writes them, kept for the assertions. */
const recordingLogger = () => {
  const lines: { level: 'error' | 'info'; message: string; fields: Record<string, unknown> }[] = [];
  const logger: BusLogger = {
    error: (fields, message) => void lines.push({ level: 'error', message, fields }),
    info: (fields, message) => void lines.push({ level: 'info', message, fields }),
  };
  return { lines, logger };
};

const healthOf = (consumer: Consumer): ConsumerHealth => {
  const health = consumer.health?.();
  if (!health) throw new Error('the Kafka consumer reports its health');
  return health;
};

describeWith('kafka', 'a Kafka consumer that cannot join its group for a while', (brokers) => {
  describe('because another member of the group speaks another assignment protocol (kafkajs does not restart)', () => {
    it('reports the failure, keeps trying, and consumes once the other member has left', async () => {
      const { lines, logger } = recordingLogger();
      const failures: string[] = [];
      const bus = KafkaEventBus.connect(
        { brokers: brokers.split(','), clientId: 'resilience', logLevel: logLevel.NOTHING },
        {
          sessionTimeoutMs: 10_000,
          consumerRestart: { initialMs: 200, maxMs: 1_000 },
          logger,
          onConsumerError: (failure) => void failures.push(failure.groupId),
        },
      );
      const topic = `resilience.protocol.${tag()}`;
      const groupId = `resilience-protocol-${tag()}`;
      await bus.ensureTopics([{ topic, partitions: 2 }]);

      // A member with an assignor of another name: while it is in the group, a join answers
      // INCONSISTENT_GROUP_PROTOCOL, which kafkajs treats as not retriable (its consumer then stays down).
      const foreign = new Kafka({
        clientId: 'foreign',
        brokers: brokers.split(','),
        logLevel: logLevel.NOTHING,
      }).consumer({
        groupId,
        partitionAssigners: [(config) => ({ ...PartitionAssigners.roundRobin(config), name: 'ForeignAssigner' })],
      });
      let foreignJoined = false;
      foreign.on(foreign.events.GROUP_JOIN, () => {
        foreignJoined = true;
      });
      await foreign.connect();
      await foreign.subscribe({ topics: [topic] });
      await foreign.run({ eachMessage: async () => undefined });
      await waitFor(() => foreignJoined, 30_000, 'the foreign member in the group');

      const handled: string[] = [];
      const consumer = await bus.subscribe({ groupId, topics: [topic] }, async (m) => {
        handled.push(m.value.toString());
      });
      await waitFor(() => healthOf(consumer).failures >= 2, 30_000, 'two failed starts');
      expect(healthOf(consumer).failingSince).toBeInstanceOf(Date);
      expect(failures.length).toBeGreaterThanOrEqual(2);
      const logged = lines.filter((line) => line.level === 'error');
      expect(logged[0]).toMatchObject({
        message: 'Kafka consumer failed; starting it again after a pause',
        fields: { groupId, phase: 'crash', failures: 1 },
      });
      expect(String(logged[0]?.fields.error)).toContain('protocols are incompatible');

      await foreign.disconnect();
      await bus.publish(topic, [{ key: 'case-1', value: 'after the foreign member left' }]);
      await waitFor(() => handled.length === 1, 60_000, 'the message handled');
      await consumer.ready;
      expect(healthOf(consumer).failingSince).toBeUndefined();
      expect(lines.some((line) => line.level === 'info' && line.message === 'Kafka consumer running again')).toBe(true);
      await consumer.stop();
      await bus.close();
    });
  });
});

describeWith('kafka', 'the Kafka bus on a broker of its own', () => {
  // Even ports: each broker's controller listens on the port after it.
  const port = String(19_600 + 2 * Math.floor(Math.random() * 150));
  const broker = `127.0.0.1:${port}`;
  const script = (command: 'start' | 'stop' | 'reset') =>
    exec('bash', [kafkaScript, command], { env: { ...process.env, KAFKA_PORT: port }, timeout: 300_000 });
  const buses: KafkaEventBus[] = [];
  const connect = (clientId: string, options: Parameters<typeof KafkaEventBus.connect>[1] = {}) => {
    // kafkajs' own lines would only repeat, many times over, that the broker is away.
    const bus = KafkaEventBus.connect({ brokers: [broker], clientId, logLevel: logLevel.NOTHING }, options);
    buses.push(bus);
    return bus;
  };
  afterAll(async () => {
    await Promise.allSettled(buses.map((bus) => bus.close()));
    await script('reset');
  }, 120_000);

  describe('just reset and started, with three processes creating the same topics at once', () => {
    it('gives each of them the topics with a leader for every partition, and each first publish goes through', {
      timeout: 180_000,
    }, async () => {
      await script('reset');
      await script('start');
      // Separate processes, as services are: in one process the creators' requests line up and the race is rare.
      const shared = ['fresh.cases.v1', 'fresh.assessments.v1'];
      const creators = await Promise.all(
        [0, 1, 2].map(
          (i) =>
            new Promise<{ code: number | null; output: string }>((resolve) => {
              const proc = spawn(process.execPath, [creator, broker, ...shared, `fresh.own-${i}.v1`], {
                stdio: ['ignore', 'pipe', 'ignore'],
              });
              let output = '';
              proc.stdout.on('data', (chunk) => {
                output += String(chunk);
              });
              proc.once('exit', (code) => resolve({ code, output: output.trim() }));
            }),
        ),
      );
      expect(creators).toEqual([0, 1, 2].map(() => ({ code: 0, output: 'ok' })));
      const admin = new Kafka({ clientId: 'check', brokers: [broker], logLevel: logLevel.NOTHING }).admin();
      await admin.connect();
      try {
        for (const topic of shared) {
          const offsets = await admin.fetchTopicOffsets(topic);
          expect(offsets).toHaveLength(6);
          expect(offsets.reduce((sum, p) => sum + Number(p.high), 0)).toBe(3);
        }
      } finally {
        await admin.disconnect();
      }
    });
  });

  describe('with a consumer running when the broker stops, and the broker started again', () => {
    it('reports the consumer failing (logged, counted, since when) and resumes consuming once the broker is back', {
      timeout: 240_000,
    }, async () => {
      await script('start'); // no-op when the case above left it running
      await kafkaAnswers(broker, 60_000);
      const { lines, logger } = recordingLogger();
      const bus = connect('outage', {
        sessionTimeoutMs: 10_000,
        consumerRestart: { initialMs: 200, maxMs: 2_000 },
        logger,
      });
      const topic = `outage.${tag()}`;
      await bus.ensureTopics([{ topic, partitions: 2 }]);
      const handled: string[] = [];
      const consumer = await bus.subscribe({ groupId: `outage-${tag()}`, topics: [topic] }, async (m) => {
        handled.push(m.value.toString());
      });
      await consumer.ready;
      await bus.publish(topic, [{ key: 'case-1', value: 'before' }]);
      await waitFor(() => handled.includes('before'), 30_000, 'the first message handled');
      const failuresBefore = healthOf(consumer).failures;

      await script('stop');
      await waitFor(() => healthOf(consumer).failingSince !== undefined, 120_000, 'the consumer reported failing');
      expect(healthOf(consumer).failures).toBeGreaterThan(failuresBefore);
      expect(lines.find((line) => line.level === 'error')).toMatchObject({
        message: 'Kafka consumer failed; starting it again after a pause',
        fields: { groupId: consumer.groupId },
      });

      await script('start');
      await bus.publish(topic, [{ key: 'case-1', value: 'after' }]);
      await waitFor(() => handled.includes('after'), 120_000, 'a message published after the restart handled');
      await waitFor(() => healthOf(consumer).failingSince === undefined, 30_000, 'the consumer reported running');
      expect(lines.some((line) => line.level === 'info' && line.message === 'Kafka consumer running again')).toBe(true);
      await consumer.stop();
    });
  });
});
