/**
 * The service on its own, started as an operator starts it: with EVENT_STORE=kurrentdb and no server at the URL it
 * must not come up half-working — it exits 69 (EX_UNAVAILABLE) at once, naming the store and the URL (without the
 * password), and never listens.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeWith, freePort, useTestDatabase } from '@buergerkoffer/shared/testing';
import { expect, it } from 'vitest';

const main = fileURLToPath(new URL('./main.ts', import.meta.url));

describeWith('postgres', 'casefile started on its own', (serverUrl) => {
  // The service database is reached (its own tables are created there first); only KurrentDB is missing.
  const db = useTestDatabase(serverUrl);
  it('exits 69 naming the KurrentDB URL when EVENT_STORE=kurrentdb finds no server there', async () => {
    const keys = await mkdtemp(join(tmpdir(), 'bk-keys-'));
    const nobody = await freePort(); // a port nothing listens on
    const child = spawn(process.execPath, [main], {
      env: {
        PATH: process.env.PATH,
        EVENT_STORE: 'kurrentdb',
        KURRENTDB_URL: `kurrentdb://admin:s3cret@127.0.0.1:${nobody}?tls=false`,
        DATABASE_URL: db.url,
        PD_MASTER_KEY: randomBytes(32).toString('base64'),
        AUTH_MODE: 'local',
        AUTH_LOCAL_KEY_DIR: keys,
        PORT: String(await freePort()),
        LOG_LEVEL: 'fatal',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    await rm(keys, { recursive: true, force: true });
    expect(code).toBe(69);
    expect(stderr).toContain(`EVENT_STORE=kurrentdb: cannot reach KurrentDB at kurrentdb://127.0.0.1:${nobody}`);
    expect(stderr + stdout).not.toContain('s3cret');
    expect(stdout).not.toContain('listening');
  }, 60_000);
});
