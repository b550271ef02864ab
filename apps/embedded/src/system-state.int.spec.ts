/**
 * How the embedded system is found while it runs: the state file `pnpm start` writes (real files in a temp
 * directory, real processes for live and dead pids). The CLIs that read it are tested in apps/cli (cli.int.spec.ts),
 * with `pnpm start` writing, and removing, the file it is found by.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { access, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCK_FILE } from './data-dir-lock.ts';
import { findSystem, localUrl, STATE_FILE, type SystemState, writeSystemState } from './system-state.ts';

const exists = (file: string) =>
  access(file).then(
    () => true,
    () => false,
  );

/** A process that stays alive (stands in for `pnpm start`). */
const sleeper = (): ChildProcess =>
  spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)'], { stdio: 'ignore' });

async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
  await once(child, 'exit');
  return child.pid ?? 999_999;
}

const stateOf = (pid: number, dataDir: string): SystemState => ({
  url: 'http://127.0.0.1:3456',
  port: 3456,
  pid,
  dataDir,
  startedAt: new Date().toISOString(),
});

describe('the state file of the running system (`<DATA_DIR>/system.json`)', () => {
  let dir: string;
  let running: ChildProcess;
  let runningPid: number;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bk-state-'));
    running = sleeper();
    runningPid = running.pid ?? 0;
  });
  afterAll(async () => {
    running.kill();
    await rm(dir, { recursive: true, force: true });
  });

  /** A data directory where the live sleeper "runs": it holds the lock. */
  const runningDir = async (name: string) => {
    const data = join(dir, name);
    await mkdir(data, { recursive: true });
    await writeFile(join(data, LOCK_FILE), `${runningPid}\n`);
    return data;
  };

  it('is found running when its process lives and holds the data directory', async () => {
    const data = await runningDir('running');
    const written = stateOf(runningPid, data);
    await writeSystemState(data, written);
    expect(await findSystem(data)).toEqual({ status: 'running', state: written });
  });

  it('is stale when its process no longer runs (killed without stopping)', async () => {
    const data = join(dir, 'dead');
    await mkdir(data, { recursive: true });
    const pid = await deadPid();
    await writeFile(join(data, LOCK_FILE), `${pid}\n`);
    await writeSystemState(data, stateOf(pid, data));
    expect(await findSystem(data)).toMatchObject({ status: 'stale', reason: `process ${pid} no longer runs` });
  });

  it('is stale when its pid runs but does not hold the data directory (a reused pid)', async () => {
    const data = join(dir, 'reused');
    await mkdir(data, { recursive: true });
    await writeSystemState(data, stateOf(runningPid, data)); // no lock file: nothing holds the directory
    expect(await findSystem(data)).toMatchObject({
      status: 'stale',
      reason: `process ${runningPid} does not hold the data directory`,
    });
  });

  it('is none where there is no file, unreadable where it is not a state', async () => {
    const data = await runningDir('garbled');
    expect(await findSystem(data)).toEqual({ status: 'none' });
    await writeFile(join(data, STATE_FILE), '{"url": "http://127.0.0.1:3000", "pid": "me"');
    expect(await findSystem(data)).toEqual({ status: 'unreadable', reason: `${STATE_FILE} is not JSON` });
    await writeFile(join(data, STATE_FILE), JSON.stringify({ ...stateOf(runningPid, data), pid: 'me' }));
    expect(await findSystem(data)).toMatchObject({ status: 'unreadable', reason: expect.stringContaining('pid') });
  });

  it('is removed by its writer, but not once another process has written its own', async () => {
    const data = await runningDir('removal');
    const mine = await writeSystemState(data, stateOf(process.pid, data));
    mine.remove();
    expect(await exists(join(data, STATE_FILE))).toBe(false);
    const again = await writeSystemState(data, stateOf(process.pid, data));
    await writeFile(join(data, STATE_FILE), JSON.stringify(stateOf(runningPid, data)));
    again.remove();
    expect(JSON.parse(await readFile(join(data, STATE_FILE), 'utf8'))).toMatchObject({ pid: runningPid });
  });

  it('gives a wildcard listen address as loopback, IPv6 in brackets', () => {
    expect(localUrl('0.0.0.0', 3000)).toBe('http://127.0.0.1:3000');
    expect(localUrl('::', 3000)).toBe('http://[::1]:3000');
    expect(localUrl('::1', 3000)).toBe('http://[::1]:3000');
    expect(localUrl('127.0.0.1', 8080)).toBe('http://127.0.0.1:8080');
  });
});
