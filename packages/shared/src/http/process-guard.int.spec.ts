/** The process guard in real processes: which failures end a process (exit 70, logged first) and which do not. */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { EXIT_INTERNAL_ERROR } from './process-guard.ts';

const child = fileURLToPath(new URL('./process-guard-child.fixture.ts', import.meta.url));

interface Ended {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** The JSON log lines on stdout. */
  readonly logs: Record<string, unknown>[];
}

const run = (mode: string): Promise<Ended> =>
  new Promise((resolve) => {
    const proc = spawn(process.execPath, [child, mode], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (chunk) => {
      stdout += String(chunk);
    });
    proc.stderr.on('data', (chunk) => {
      stderr += String(chunk);
    });
    proc.once('exit', (code) => {
      const logs = stdout
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as Record<string, unknown>);
      resolve({ code, stdout, stderr, logs });
    });
  });

const expectNoPersonalData = (ended: Ended) => {
  expect(ended.stdout).not.toContain('Mustermann');
  expect(ended.stderr).not.toContain('Mustermann');
};

describe('a process with the guard installed', () => {
  describe('when an exception is not caught', () => {
    it('logs it at fatal (name, code, message, frames; no other fields), flushes, and exits 70', async () => {
      const ended = await run('throw-after-start');
      expect(ended.code).toBe(EXIT_INTERNAL_ERROR);
      const fatal = ended.logs.find((line) => line.level === 'fatal');
      expect(fatal).toMatchObject({
        msg: 'process failed; exiting',
        event: 'uncaughtException',
        error: { type: 'Error', code: '23505', message: 'insert into applicants failed' },
      });
      expect(JSON.stringify(fatal)).toContain('process-guard-child.fixture.ts');
      expect(ended.stderr).toContain('flushed');
      expectNoPersonalData(ended);
    });
  });

  describe('when start-up fails (the composition root’s top-level await rejects)', () => {
    it('logs it at fatal and exits 70', async () => {
      const ended = await run('start-up-fails');
      expect(ended.code).toBe(EXIT_INTERNAL_ERROR);
      expect(ended.logs.find((line) => line.level === 'fatal')).toMatchObject({ msg: 'process failed; exiting' });
      expectNoPersonalData(ended);
    });
  });

  describe('when a promise rejects unhandled during start-up', () => {
    it('logs it at fatal and exits 70', async () => {
      const ended = await run('reject-during-start');
      expect(ended.code).toBe(EXIT_INTERNAL_ERROR);
      expect(ended.logs.find((line) => line.level === 'fatal')).toMatchObject({
        msg: 'process failed; exiting',
        event: 'unhandledRejection',
      });
      expectNoPersonalData(ended);
    });
  });

  describe('when a promise rejects unhandled after start-up', () => {
    it('logs it at error with a count and goes on running', async () => {
      const ended = await run('reject-after-start');
      expect(ended.logs.find((line) => line.level === 'error')).toMatchObject({
        msg: 'unhandled rejection; continuing',
        unhandledRejections: 1,
        error: { message: 'insert into applicants failed' },
      });
      expect(ended.stdout).toContain('still running');
      expect(ended.code).toBe(0);
      expectNoPersonalData(ended);
    });
  });
});
