import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseMasterKey } from '@buergerkoffer/shared/privacy';

/**
 * The master key that wraps the data subjects' keys: `PD_MASTER_KEY` (base64, 32 bytes) when set — production
 * keeps it in a secret store —, else a key created once in `<dataDir>/keys/master.key` (mode 0600).
 */
/** The master key if there is one (PD_MASTER_KEY, else the key file): for tools that must never make a new one. */
export async function findMasterKey(
  dataDir: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Buffer | undefined> {
  if (env.PD_MASTER_KEY) return parseMasterKey(env.PD_MASTER_KEY);
  const existing = await readFile(join(dataDir, 'keys', 'master.key'), 'utf8').catch(() => undefined);
  return existing ? parseMasterKey(existing.trim()) : undefined;
}

export async function loadOrCreateMasterKey(dataDir: string, env: NodeJS.ProcessEnv = process.env): Promise<Buffer> {
  if (env.PD_MASTER_KEY) return parseMasterKey(env.PD_MASTER_KEY);
  const file = join(dataDir, 'keys', 'master.key');
  const existing = await readFile(file, 'utf8').catch(() => undefined);
  if (existing) return parseMasterKey(existing.trim());
  await mkdir(join(dataDir, 'keys'), { recursive: true, mode: 0o700 });
  await writeFile(file, randomBytes(32).toString('base64'), { mode: 0o600, flag: 'wx' }).catch(() => undefined);
  return parseMasterKey((await readFile(file, 'utf8')).trim());
}
