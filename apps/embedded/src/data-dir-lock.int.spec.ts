import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataDirLockedError, LOCK_FILE, lockDataDir, lockHolder } from './data-dir-lock.ts';

/** A process that stays alive (stands in for `pnpm start`). */
const sleeper = (): ChildProcess =>
  spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)'], { stdio: 'ignore' });

/** The pid of a process that has ended. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
  await new Promise((resolve) => child.once('exit', resolve));
  return child.pid ?? 999_999;
}

describe('the embedded data directory lock', () => {
  let dir: string;
  let running: ChildProcess;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bk-lock-'));
    running = sleeper();
  });
  afterAll(async () => {
    running.kill();
    await rm(dir, { recursive: true, force: true });
  });

  it('is taken with the pid inside, and released (file removed) by its owner', async () => {
    const data = join(dir, 'fresh');
    const lock = await lockDataDir(data);
    expect((await readFile(join(data, LOCK_FILE), 'utf8')).trim()).toBe(String(process.pid));
    lock.release();
    await expect(readFile(join(data, LOCK_FILE), 'utf8')).rejects.toThrow();
  });

  it('is refused while a live process holds it, naming that process', async () => {
    const data = join(dir, 'held');
    await mkdir(data, { recursive: true });
    await writeFile(join(data, LOCK_FILE), `${running.pid}\n`);
    expect(await lockHolder(data)).toBe(running.pid);
    const refused = await lockDataDir(data).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(DataDirLockedError);
    expect((refused as DataDirLockedError).pid).toBe(running.pid);
  });

  it('is taken over from a process that no longer runs', async () => {
    const data = join(dir, 'stale');
    await mkdir(data, { recursive: true });
    await writeFile(join(data, LOCK_FILE), `${await deadPid()}\n`);
    const lock = await lockDataDir(data);
    expect((await readFile(join(data, LOCK_FILE), 'utf8')).trim()).toBe(String(process.pid));
    lock.release();
  });

  it('lets exactly one of several processes racing over a stale lock take it', async () => {
    const child = fileURLToPath(new URL('./data-dir-lock.fixture.ts', import.meta.url));
    for (let trial = 0; trial < 5; trial++) {
      const data = join(dir, `race-${trial}`);
      await mkdir(data, { recursive: true });
      await writeFile(join(data, LOCK_FILE), `${await deadPid()}\n`);
      const racers = Array.from({ length: 4 }, () => {
        const racer = spawn(process.execPath, [child, data], { stdio: ['pipe', 'pipe', 'inherit'] });
        let out = '';
        racer.stdout.on('data', (chunk) => {
          out += String(chunk);
        });
        return { racer, lines: () => out.split('\n').filter(Boolean) };
      });
      const until = async (check: () => boolean) => {
        for (const deadline = Date.now() + 60_000; !check(); ) {
          if (Date.now() > deadline) throw new Error(`racers: ${JSON.stringify(racers.map((r) => r.lines()))}`);
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
      };
      await until(() => racers.every((r) => r.lines().includes('ready')));
      for (const { racer } of racers) racer.stdin.write('go\n'); // all at once, each already running
      await until(() => racers.every((r) => r.lines().length >= 2));
      const outcomes = racers.map((r) => r.lines()[1]);
      for (const { racer } of racers) racer.stdin.end();
      await Promise.all(racers.map(({ racer }) => (racer.exitCode === null ? once(racer, 'exit') : undefined)));
      expect(outcomes.filter((outcome) => outcome === 'acquired')).toHaveLength(1);
      expect(outcomes.filter((outcome) => outcome === 'refused')).toHaveLength(3);
    }
  });
});
