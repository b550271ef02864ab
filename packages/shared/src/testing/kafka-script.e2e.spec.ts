import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { kafkaAnswers, kafkaScript } from './infra.ts';
import { describeWith } from './requirements.ts';

const exec = promisify(execFile);
// A port of its own, so the broker the other suites use is never touched.
const port = String(19_300 + Math.floor(Math.random() * 300));
const env = { ...process.env, KAFKA_PORT: port };
const script = (command: string) =>
  exec('bash', [kafkaScript, command], { env, timeout: 300_000 }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code: number; stdout: string; stderr: string }) => ({
      code: error.code,
      stdout: error.stdout,
      stderr: error.stderr,
    }),
  );
const pidFile = join(kafkaScript, '..', '.kafka', `broker-${port}`, 'broker.pid');

// The script is the local-process fallback; it needs Java, which CI installs (.ci/run).
describeWith('kafka', '`pnpm infra:kafka` (infra/kafka/kafka.sh)', () => {
  afterAll(async () => {
    await script('stop');
    await script('reset');
  });

  describe('start, start again, stop, stop again', () => {
    it('starts once, treats a second start as a no-op, stops cleanly, and treats a second stop as a no-op', {
      timeout: 300_000,
    }, async () => {
      const first = await script('start');
      expect(first.code).toBe(0);
      expect(first.stdout.trim()).toBe(`127.0.0.1:${port}`);
      await kafkaAnswers(`127.0.0.1:${port}`, 60_000);
      const pid = (await readFile(pidFile, 'utf8')).trim();

      const second = await script('start');
      expect(second.code).toBe(0);
      expect(second.stderr).toContain('already running');
      expect((await readFile(pidFile, 'utf8')).trim()).toBe(pid);

      expect((await script('status')).code).toBe(0);
      const stopped = await script('stop');
      expect(stopped.code).toBe(0);
      expect(() => process.kill(Number(pid), 0)).toThrow();
      expect((await script('status')).code).toBe(3);
      const again = await script('stop');
      expect(again.code).toBe(0);
      expect(again.stderr).toContain('not running');
    });
  });

  describe('a restart on existing storage', () => {
    it('keeps the formatted storage and answers again', { timeout: 300_000 }, async () => {
      expect((await script('start')).code).toBe(0);
      await kafkaAnswers(`127.0.0.1:${port}`, 60_000);
      const log = await readFile(join(kafkaScript, '..', '.kafka', `broker-${port}`, 'broker.log'), 'utf8');
      expect(log.match(/Formatting .*metadata/g)).toHaveLength(1);
    });
  });
});
