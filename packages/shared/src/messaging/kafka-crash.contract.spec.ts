/** A consumer process killed (SIGKILL) in the middle of its work: its group resumes without losing a message. */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { describeWith } from '../testing/requirements.ts';
import { waitFor } from './event-bus.contract.ts';
import { KafkaEventBus } from './kafka-event-bus.ts';

const child = fileURLToPath(new URL('./kafka-consumer-child.fixture.ts', import.meta.url));

describeWith('kafka', 'a Kafka consumer process that is killed', (brokers) => {
  describe('mid-batch, with handled messages not yet all committed', () => {
    it('leaves nothing lost: its group resumes after the last committed offset', { timeout: 240_000 }, async () => {
      const bus = KafkaEventBus.connect({ brokers: brokers.split(','), clientId: 'crash-parent' });
      const tag = randomBytes(3).toString('hex');
      const topic = `crash.${tag}`;
      const groupId = `crash-group-${tag}`;
      await bus.ensureTopics([{ topic, partitions: 3 }]);
      const values = Array.from({ length: 150 }, (_, i) => `v${i}`);
      await bus.publish(
        topic,
        values.map((value, i) => ({ key: `case-${i % 7}`, value })),
      );

      const handledByChild: string[] = [];
      const proc = spawn(process.execPath, [child, brokers, topic, groupId], { stdio: ['ignore', 'pipe', 'inherit'] });
      let buffered = '';
      proc.stdout.on('data', (chunk) => {
        buffered += String(chunk);
        const lines = buffered.split('\n');
        buffered = lines.pop() ?? '';
        for (const line of lines) if (line !== 'ready') handledByChild.push(line);
      });
      await waitFor(() => handledByChild.length >= 60, 120_000, '60 handled by the child');
      proc.kill('SIGKILL');
      await new Promise((resolve) => proc.once('exit', resolve));
      expect(handledByChild.length).toBeLessThan(values.length);

      const handledAfter: string[] = [];
      const consumer = await bus.subscribe({ groupId, topics: [topic] }, async (m) => {
        handledAfter.push(m.value.toString());
      });
      await waitFor(
        () => new Set([...handledByChild, ...handledAfter]).size === values.length,
        120_000,
        'every value handled by one or the other',
      );
      await consumer.stop();
      await bus.close();
      expect(new Set([...handledByChild, ...handledAfter])).toEqual(new Set(values));
      // It resumed after committed offsets, not from the beginning: fewer than all were delivered again.
      expect(handledAfter.length).toBeLessThan(values.length);
    });
  });
});
