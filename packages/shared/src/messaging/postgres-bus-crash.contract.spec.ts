/**
 * The embedded bus when its process is killed (SIGKILL) while it publishes and while handlers run: a new process on
 * the same PGlite data directory delivers every message published and not yet handled — the one stuck in its handler
 * included — and redelivers, of what was handled, at most the last message per partition (its handler had finished,
 * its commit may not have).
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { afterAll, describe, expect, it } from 'vitest';
import { pgliteSql } from '../event-sourcing/postgres/sql.ts';
import { waitFor } from './event-bus.contract.ts';
import { PostgresEventBus } from './postgres-event-bus.ts';
import type { IncomingMessage } from './types.ts';

const child = fileURLToPath(new URL('./postgres-bus-child.fixture.ts', import.meta.url));

interface Seen {
  partition: number;
  offset: number;
  value: string;
}

const seen = (line: string): Seen => {
  const [, partition = '', offset = '', value = ''] = line.split(' ');
  return { partition: Number(partition), offset: Number(offset), value };
};

describe('an embedded bus whose process is killed', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  describe('while it publishes, with one handler stuck and others running', () => {
    it('loses nothing: the next process on the data directory delivers every message not handled', async () => {
      const dir = await mkdtemp(join(tmpdir(), 'bk-bus-crash-'));
      dirs.push(dir);
      const dataDir = join(dir, 'data');
      const tag = randomBytes(3).toString('hex');
      const topic = `crash.${tag}`;
      const groupId = `crash-group-${tag}`;
      const stuck = 'v30';

      const published: string[] = [];
      const begun: Seen[] = [];
      const ended: Seen[] = [];
      const proc = spawn(process.execPath, [child, dataDir, topic, groupId, '5000', stuck], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let buffered = '';
      proc.stdout.on('data', (chunk) => {
        buffered += String(chunk);
        const lines = buffered.split('\n');
        buffered = lines.pop() ?? '';
        for (const line of lines) {
          if (line.startsWith('published ')) published.push(line.slice('published '.length));
          else if (line.startsWith('begin ')) begun.push(seen(line));
          else if (line.startsWith('end ')) ended.push(seen(line));
        }
      });
      await waitFor(
        () => begun.some((m) => m.value === stuck) && ended.length >= 60,
        120_000,
        'the stuck handler running and 60 handled by the child',
      );
      proc.kill('SIGKILL');
      await new Promise((resolve) => proc.once('exit', resolve));
      const endedValues = new Set(ended.map((m) => m.value));
      const inHandler = begun.filter((m) => !endedValues.has(m.value));
      expect(inHandler.map((m) => m.value)).toContain(stuck);

      const sql = pgliteSql(await PGlite.create(dataDir));
      const bus = await PostgresEventBus.open(sql);
      const after: IncomingMessage[] = [];
      const consumer = await bus.subscribe({ groupId, topics: [topic] }, async (m) => {
        after.push(m);
      });
      const deadline = Date.now() + 120_000;
      while ((await bus.consumerLag(groupId, [topic])) > 0) {
        if (Date.now() > deadline) throw new Error('timed out waiting for the group to catch up');
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      await consumer.stop();
      await bus.close();
      await sql.close();

      const afterValues = after.map((m) => m.value.toString());
      const handled = new Set([...endedValues, ...afterValues]);
      // Every publish that had returned is on the bus (and no message but those, and perhaps the one in progress).
      expect(published.filter((value) => !handled.has(value))).toEqual([]);
      expect([published.length, published.length + 1]).toContain(handled.size);
      expect(handled).toEqual(new Set(Array.from({ length: handled.size }, (_, i) => `v${i}`)));
      // What was in a handler at the kill is delivered again.
      for (const m of inHandler) expect(afterValues).toContain(m.value);
      // Of what the child had handled, only the last per partition may come again (handled, commit cut off).
      for (const partition of [0, 1, 2]) {
        const lastEnded = Math.max(-1, ...ended.filter((m) => m.partition === partition).map((m) => m.offset));
        const again = after.filter((m) => m.partition === partition).map((m) => Number(m.offset));
        if (again.length === 0) continue;
        expect([lastEnded, lastEnded + 1]).toContain(again[0]);
        expect(again).toEqual(again.map((_, i) => (again[0] ?? 0) + i)); // in order, no gap, none twice
      }
      expect(after.filter((m) => endedValues.has(m.value.toString())).length).toBeLessThanOrEqual(3);
    }, 180_000); // two processes start PGlite on the directory, one after the other
  });
});
