/**
 * The command-line tools as their users run them: real processes on real data directories. `pnpm run token`, which
 * never makes a key of its own; `pnpm casefile history`, which finds the running system through the state file
 * `pnpm start` writes (and removes); `pnpm casefile rebuild`, refused while the embedded system holds the directory.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { access, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { LOCK_FILE } from '@buergerkoffer/embedded/data-dir-lock';
import { findSystem, SIGNING_KEY_FILE, STATE_FILE } from '@buergerkoffer/embedded/system-state';
import { LocalKeys } from '@buergerkoffer/shared/http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const tokenCli = fileURLToPath(new URL('./token.cli.ts', import.meta.url));
const casefileCli = fileURLToPath(new URL('./casefile.cli.ts', import.meta.url));
/** `pnpm start`: the embedded system whose state file and key the CLIs follow. */
const main = fileURLToPath(new URL('../../embedded/src/main.ts', import.meta.url));

/** The CLIs' environment without what would point them elsewhere than the test's directory. */
const baseEnv = Object.fromEntries(
  Object.entries(process.env).filter(
    ([name]) => !['DATA_DIR', 'BK_URL', 'BK_TOKEN', 'PORT', 'DATABASE_URL'].includes(name),
  ),
);

const runCli = (cli: string, args: string[], env: Record<string, string>) =>
  promisify(execFile)(process.execPath, [cli, ...args], { env: { ...baseEnv, ...env } }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code: number; stdout: string; stderr: string }) => ({
      code: error.code,
      stdout: error.stdout,
      stderr: error.stderr,
    }),
  );

const exists = (file: string) =>
  access(file).then(
    () => true,
    () => false,
  );

/** A process that stays alive (stands in for `pnpm start`). */
const sleeper = (): ChildProcess =>
  spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)'], { stdio: 'ignore' });

describe('`pnpm run token` (token.cli.ts)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bk-token-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('refuses without the system’s key, naming the directory and DATA_DIR, and creates no key', async () => {
    const data = join(dir, 'never-started');
    const result = await runCli(tokenCli, ['intake-agent', '--tenant', 'bochum'], { DATA_DIR: data });
    expect(result.code).toBe(78);
    expect(result.stdout).toBe(''); // nothing a `TOKEN=$(…)` would take for a token
    expect(result.stderr).toContain(`no signing key in ${data}`);
    expect(result.stderr).toContain('DATA_DIR=<its data directory> pnpm --silent run token intake-agent');
    expect(await exists(join(data, SIGNING_KEY_FILE))).toBe(false);
    expect(await exists(data)).toBe(false);
  });

  it('signs with the key in DATA_DIR (the one the system verifies with), noting when nothing runs', async () => {
    const data = join(dir, 'stopped');
    const keys = await LocalKeys.loadOrCreate(data);
    const result = await runCli(tokenCli, ['auditor', '--tenant', 'bochum', '--sub', 'a-7'], { DATA_DIR: data });
    expect(result.code).toBe(0);
    expect(await keys.verify(result.stdout.trim())).toEqual({ subject: 'a-7', tenantId: 'bochum', roles: ['auditor'] });
    expect(result.stderr).toContain(`note: no embedded system runs on ${data}`);
  });

  it('refuses an unknown role with the usage', async () => {
    const result = await runCli(tokenCli, ['mayor'], { DATA_DIR: dir });
    expect(result).toMatchObject({ code: 2, stdout: '', stderr: expect.stringContaining('unknown role: mayor') });
  });
});

describe('`pnpm casefile history` without a running system', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bk-history-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  const caseId = '01a212bf-bc8a-703a-ba4e-8027a54184b5';

  it('says that nothing runs on DATA_DIR and how to point at the system, instead of calling port 3000', async () => {
    const result = await runCli(casefileCli, ['history', caseId, '--purpose', 'audit', '--reference', 'Pruefung'], {
      DATA_DIR: dir,
    });
    expect(result.code).toBe(69);
    expect(result.stderr).toContain(`no embedded system runs on ${dir}`);
    expect(result.stderr).toContain('BK_URL=');
  });

  it('with a URL given but no token and no key, refuses to mint one', async () => {
    const result = await runCli(casefileCli, ['history', caseId, '--purpose', 'audit', '--reference', 'Pruefung'], {
      DATA_DIR: dir,
      BK_URL: 'http://127.0.0.1:9/casefile',
    });
    expect(result.code).toBe(78);
    expect(result.stderr).toContain(`no signing key in ${dir}`);
    expect(await exists(join(dir, SIGNING_KEY_FILE))).toBe(false);
  });
});

describe('`pnpm start` and the CLIs that follow it', () => {
  let dir: string;
  const children: ChildProcess[] = [];
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bk-start-state-'));
  });
  afterAll(async () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  });

  const start = async (data: string) => {
    let output = '';
    const child = spawn(process.execPath, [main], {
      env: { ...baseEnv, PORT: '0', DATA_DIR: data, LOG_LEVEL: 'warn' },
    });
    children.push(child);
    child.stdout?.on('data', (chunk) => {
      output += String(chunk);
    });
    child.stderr?.on('data', (chunk) => {
      output += String(chunk);
    });
    for (const deadline = Date.now() + 60_000; ; ) {
      const url = /listening on (http:\/\/\S+)/.exec(output)?.[1];
      if (url) return { child, url };
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`pnpm start did not come up:\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };

  it('writes where it listens; the CLIs use it (its port, its key); stale after kill -9; removed on SIGTERM', async () => {
    const data = join(dir, 'data');
    const first = await start(data);
    const found = await findSystem(data);
    expect(found).toMatchObject({ status: 'running', state: { url: first.url, pid: first.child.pid, dataDir: data } });

    // An unknown case: a 404 from the casefile API proves the right port and an accepted token (else refused, 401).
    const caseId = '01a212bf-bc8a-703a-ba4e-8027a54184b5';
    const history = await runCli(casefileCli, ['history', caseId, '--purpose', 'audit', '--reference', 'Pruefung'], {
      DATA_DIR: data,
    });
    expect(history).toMatchObject({ code: 1, stderr: expect.stringMatching(/^Not Found/) });
    const token = await runCli(tokenCli, ['intake-agent'], { DATA_DIR: data });
    expect(token.stderr).toBe('');
    const cases = await fetch(`${first.url}/intake/cases`, {
      headers: { authorization: `Bearer ${token.stdout.trim()}` },
    });
    expect(cases.status).toBe(200);

    first.child.kill('SIGKILL');
    await once(first.child, 'exit');
    expect(await findSystem(data)).toMatchObject({ status: 'stale', state: { pid: first.child.pid } });
    const afterCrash = await runCli(casefileCli, ['history', caseId, '--purpose', 'audit', '--reference', 'Pruefung'], {
      DATA_DIR: data,
    });
    expect(afterCrash.code).toBe(69);
    expect(afterCrash.stderr).toContain(`process ${first.child.pid} no longer runs`);

    const second = await start(data);
    expect(await findSystem(data)).toMatchObject({ status: 'running', state: { pid: second.child.pid } });
    second.child.kill('SIGTERM');
    const [code] = await once(second.child, 'exit');
    expect(code).toBe(0);
    expect(await exists(join(data, STATE_FILE))).toBe(false);
    expect(await findSystem(data)).toEqual({ status: 'none' });
  });
});

describe('`pnpm casefile rebuild` on the embedded data directory', () => {
  let dir: string;
  let running: ChildProcess;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bk-rebuild-'));
    running = sleeper();
  });
  afterAll(async () => {
    running.kill();
    await rm(dir, { recursive: true, force: true });
  });

  it('refuses with exit code 75 while the embedded system runs, naming its process', async () => {
    const data = join(dir, 'running');
    await mkdir(join(data, 'eventstore'), { recursive: true });
    await writeFile(join(data, LOCK_FILE), `${running.pid}\n`);
    const result = await runCli(casefileCli, ['rebuild'], { DATA_DIR: data });
    expect(result).toMatchObject({ code: 75, stderr: expect.stringContaining(`in use by process ${running.pid}`) });
  });
});
