/**
 * One process at a time on an embedded data directory: PGlite has no locking of its own, and two engines writing one
 * directory corrupt it. The lock is a file holding the owner's pid; a lock left by a process that no longer runs
 * (a crash, kill -9) is taken over.
 */

import { randomBytes } from 'node:crypto';
import { readFileSync, unlinkSync } from 'node:fs';
import { link, mkdir, readFile, rmdir, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export const LOCK_FILE = 'embedded.lock';

export class DataDirLockedError extends Error {
  readonly pid: number;
  constructor(dataDir: string, pid: number) {
    super(`the data directory ${dataDir} is in use by process ${pid} (the embedded system runs: stop it first)`);
    this.name = 'DataDirLockedError';
    this.pid = pid;
  }
}

const isRunning = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, under another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** The pid of the live process holding the lock, if any. */
export async function lockHolder(dataDir: string): Promise<number | undefined> {
  const text = await readFile(join(dataDir, LOCK_FILE), 'utf8').catch(() => undefined);
  const pid = Number.parseInt(text ?? '', 10);
  return Number.isInteger(pid) && pid > 0 && pid !== process.pid && isRunning(pid) ? pid : undefined;
}

export interface DataDirLock {
  /** Removes the lock file (only if it is still ours). Also done on process exit. */
  release(): void;
}

/** Creates the lock file with its content in one step (a link is atomic; `wx` would show an empty file first). */
async function create(file: string): Promise<boolean> {
  const temp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
  await writeFile(temp, `${process.pid}\n`, { mode: 0o644 });
  try {
    await link(temp, file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    await unlink(temp).catch(() => undefined);
  }
}

/** A takeover whose process died holding the mutex is abandoned after this long. */
const TAKEOVER_STALE_MS = 10_000;

/**
 * Takes the lock or throws DataDirLockedError naming the process that holds it. A stale lock is removed only under
 * a second, short-lived lock (a directory: `mkdir` is atomic) and only if it still holds what was found stale — so of
 * processes racing to take over the same stale lock, exactly one gets it (without this, one could delete the lock
 * another had just taken, and two engines would open one directory).
 */
export async function lockDataDir(dataDir: string): Promise<DataDirLock> {
  await mkdir(dataDir, { recursive: true });
  const file = join(dataDir, LOCK_FILE);
  const mutex = `${file}.takeover`;
  for (let attempt = 0; ; attempt++) {
    if (attempt >= 200) throw new Error(`could not take the lock ${file}: it keeps changing`);
    if (await create(file)) break;
    const found = await readFile(file, 'utf8').catch(() => undefined);
    if (found === undefined) continue; // released meanwhile: try again
    const pid = Number.parseInt(found, 10);
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && isRunning(pid)) {
      throw new DataDirLockedError(dataDir, pid);
    }
    try {
      await mkdir(mutex);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const since = await stat(mutex).then(
        (info) => Date.now() - info.mtimeMs,
        () => 0,
      );
      if (since > TAKEOVER_STALE_MS) await rmdir(mutex).catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, 10 + Math.random() * 20));
      continue;
    }
    try {
      // Still the stale lock we found (not one a racing process has just taken)? Then it goes.
      if ((await readFile(file, 'utf8').catch(() => undefined)) === found) await unlink(file).catch(() => undefined);
    } finally {
      await rmdir(mutex).catch(() => undefined);
    }
  }
  let held = true;
  const release = () => {
    if (!held) return;
    held = false;
    process.off('exit', release);
    try {
      if (readFileSync(file, 'utf8').trim() === String(process.pid)) unlinkSync(file);
    } catch {
      // already gone
    }
  };
  process.on('exit', release);
  return { release };
}
