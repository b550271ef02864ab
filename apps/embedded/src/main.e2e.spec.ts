import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const main = fileURLToPath(new URL('./main.ts', import.meta.url));

function start(env: Record<string, string>): { child: ChildProcess; output: () => string } {
  let output = '';
  const child = spawn(process.execPath, [main], { env: { ...process.env, LOG_LEVEL: 'warn', ...env } });
  child.stdout?.on('data', (chunk) => {
    output += String(chunk);
  });
  child.stderr?.on('data', (chunk) => {
    output += String(chunk);
  });
  return { child, output: () => output };
}

async function waitFor<T>(probe: () => T | undefined, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('`pnpm start` (the embedded process)', () => {
  const children: ChildProcess[] = [];
  const dirs: string[] = [];
  afterEach(async () => {
    for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
    for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
  });

  it('honours PORT and DATA_DIR, prints its URL, serves health and stops cleanly on SIGTERM', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'bk-start-'));
    dirs.push(dataDir);
    const { child, output } = start({ PORT: '0', DATA_DIR: join(dataDir, 'store') });
    children.push(child);
    const url = await waitFor(() => /listening on (http:\/\/\S+)/.exec(output())?.[1]);
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const health = await fetch(`${url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    expect(await (await fetch(`${url}/`)).json()).toMatchObject({ mode: 'embedded' });
    expect((await fetch(`${url}/readyz`)).status).toBe(200);
    expect((await stat(join(dataDir, 'store', 'eventstore'))).isDirectory()).toBe(true);
    child.kill('SIGTERM');
    const [code] = await once(child, 'exit');
    expect(code).toBe(0);
  });

  it('refuses to start on a bad variable and names it', async () => {
    const { child, output } = start({ PORT: 'eighty' });
    children.push(child);
    const [code] = await once(child, 'close'); // 'close': after its output has been read, not only after it exited
    expect(code).toBe(78);
    expect(output()).toMatch(/invalid configuration:\s+PORT:/);
  });
});
