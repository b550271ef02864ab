/**
 * One kit command at a time on a data directory: PGlite has no locking of its own, and two engines on one directory
 * corrupt it (a `sync` in the background and a `record` typed meanwhile, say). The lock is a file holding the owner's
 * pid, made in one step (a hard link is atomic); a lock left by a process that no longer runs (a crash, SIGKILL, a
 * flat battery) is taken over — under a short-lived second lock, so of two processes taking over the same stale lock
 * exactly one gets it.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, unlinkSync } from 'node:fs';
import { link, mkdir, readFile, rmdir, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export const LOCK_FILE = 'kit.lock';

export class StoreBusyError extends Error {
  readonly pid: number;
  constructor(dataDir: string, pid: number) {
    super(
      `the kit's data directory ${dataDir} is in use by process ${pid} (another kit command): try again when it ends`,
    );
    this.name = 'StoreBusyError';
    this.pid = pid;
  }
}

const isRunning = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'; // it exists, under another user
  }
};

async function create(file: string): Promise<boolean> {
  const temp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
  await writeFile(temp, `${process.pid}\n`);
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

/** A takeover whose process died holding the second lock is abandoned after this long. */
const TAKEOVER_STALE_MS = 10_000;

export interface DirLock {
  /** Removes the lock file if it is still ours (also done when the process exits normally). */
  release(): void;
}

/** Takes the lock, or throws StoreBusyError naming the live process that holds it. */
export async function lockDataDir(dataDir: string): Promise<DirLock> {
  await mkdir(dataDir, { recursive: true });
  const file = join(dataDir, LOCK_FILE);
  const mutex = `${file}.takeover`;
  for (let attempt = 0; ; attempt++) {
    if (attempt >= 200) throw new Error(`could not take the lock ${file}: it keeps changing`);
    if (await create(file)) break;
    const found = await readFile(file, 'utf8').catch(() => undefined);
    if (found === undefined) continue; // released meanwhile
    const pid = Number.parseInt(found, 10);
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && isRunning(pid))
      throw new StoreBusyError(dataDir, pid);
    try {
      await mkdir(mutex);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const age = await stat(mutex).then(
        (info) => Date.now() - info.mtimeMs,
        () => 0,
      );
      if (age > TAKEOVER_STALE_MS) await rmdir(mutex).catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, 10 + Math.random() * 20));
      continue;
    }
    try {
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
