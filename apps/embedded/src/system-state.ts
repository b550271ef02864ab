/**
 * Where the running embedded system is, for the command-line tools (`pnpm run token`, `pnpm casefile history`).
 *
 * `pnpm start` writes `<DATA_DIR>/system.json` (url, port, pid, data directory, start time) once it listens and
 * removes it when it stops. The tools read DATA_DIR with the same default (`.data`), so they call the port the system
 * really listens on and sign with the key it really verifies with — not a port or key of their own guessing (a token
 * signed with a key the system does not have is a 401 with no hint why). A file left behind by a process that died
 * without stopping (kill -9, a power cut) is reported as stale: its pid no longer runs, or no longer holds the data
 * directory's lock (the pid was reused by another program).
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, unlinkSync } from 'node:fs';
import { access, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LocalKeys } from '@buergerkoffer/shared/http';
import { z } from 'zod';
import { LOCK_FILE } from './data-dir-lock.ts';

export const STATE_FILE = 'system.json';

/** Where LocalKeys keeps the embedded signing key below the data directory (packages/shared/src/http/auth.ts). */
export const SIGNING_KEY_FILE = join('auth', 'signing-key.json');

const systemState = z.object({
  /** Where a client on this machine reaches it (a wildcard listen address is given as loopback). */
  url: z.url({ protocol: /^https?$/ }),
  port: z.number().int().min(1).max(65_535),
  pid: z.number().int().positive(),
  dataDir: z.string().min(1),
  startedAt: z.iso.datetime(),
});

export type SystemState = z.infer<typeof systemState>;

/** The URL a local client uses for a server listening on `host:port` (0.0.0.0 and :: are reached on loopback). */
export function localUrl(host: string, port: number): string {
  const reachable = host === '0.0.0.0' ? '127.0.0.1' : host === '::' || host === '[::]' ? '::1' : host;
  const bracketed = reachable.includes(':') && !reachable.startsWith('[') ? `[${reachable}]` : reachable;
  return `http://${bracketed}:${port}`;
}

export interface WrittenState {
  /** Removes the file if it is still this process's (also done on process exit). */
  remove(): void;
}

/**
 * Writes the state file in one step (a temp file renamed over it: a reader never sees half of it) and removes it on
 * process exit, so only a process that died without exiting (kill -9) leaves it behind.
 */
export async function writeSystemState(dataDir: string, state: SystemState): Promise<WrittenState> {
  const file = join(dataDir, STATE_FILE);
  const temp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
  await writeFile(temp, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o644 });
  await rename(temp, file);
  let held = true;
  const remove = () => {
    if (!held) return;
    held = false;
    process.off('exit', remove);
    try {
      // Only our own: a second system on this directory cannot have started (the lock), but a file may be edited.
      if (systemState.safeParse(JSON.parse(readFileSync(file, 'utf8'))).data?.pid === state.pid) unlinkSync(file);
    } catch {
      // already gone, or not ours to remove
    }
  };
  process.on('exit', remove);
  return { remove };
}

export type FoundSystem =
  | { readonly status: 'running'; readonly state: SystemState }
  | { readonly status: 'stale'; readonly state: SystemState; readonly reason: string }
  | { readonly status: 'none' }
  | { readonly status: 'unreadable'; readonly reason: string };

const isRunning = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, under another user.
    return error instanceof Error && 'code' in error && error.code === 'EPERM';
  }
};

/** What `<dataDir>/system.json` says, checked against the processes that run and the data directory's lock. */
export async function findSystem(dataDir: string): Promise<FoundSystem> {
  const text = await readFile(join(dataDir, STATE_FILE), 'utf8').catch((error: unknown) =>
    error instanceof Error && 'code' in error && error.code === 'ENOENT' ? undefined : Promise.reject(error),
  );
  if (text === undefined) return { status: 'none' };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { status: 'unreadable', reason: `${STATE_FILE} is not JSON` };
  }
  const parsed = systemState.safeParse(json);
  if (!parsed.success) {
    return {
      status: 'unreadable',
      reason: `${STATE_FILE}: ${parsed.error.issues.map((i) => i.path.join('.') || i.message).join(', ')}`,
    };
  }
  const state = parsed.data;
  if (!isRunning(state.pid)) return { status: 'stale', state, reason: `process ${state.pid} no longer runs` };
  const lock = await readFile(join(dataDir, LOCK_FILE), 'utf8').catch(() => undefined);
  if (Number.parseInt(lock ?? '', 10) !== state.pid) {
    return { status: 'stale', state, reason: `process ${state.pid} does not hold the data directory` };
  }
  return { status: 'running', state };
}

/** One line on what was found, for messages. */
export function describeSystem(dataDir: string, found: FoundSystem): string {
  switch (found.status) {
    case 'running':
      return `the embedded system runs on ${found.state.url} (pid ${found.state.pid}, data ${dataDir})`;
    case 'stale':
      return `no embedded system runs on ${dataDir}: the one started at ${found.state.startedAt} on ${found.state.url} has stopped without saying so (${found.reason})`;
    case 'none':
      return `no embedded system runs on ${dataDir} (no ${STATE_FILE} there)`;
    case 'unreadable':
      return `cannot tell whether an embedded system runs on ${dataDir}: ${found.reason}`;
    default: {
      const unknown: never = found;
      return unknown;
    }
  }
}

/** How to point a tool at the system that runs: the part of every "not found" message that helps. */
export const pointAtRunningSystem = (command: string): string =>
  `Start it (pnpm start), or point at the one that runs with the DATA_DIR it was started with ` +
  `(\`pnpm start\` prints it: "data: …"):\n  DATA_DIR=<its data directory> ${command}`;

export class NoSigningKeyError extends Error {
  readonly dataDir: string;
  constructor(dataDir: string, command: string) {
    super(
      `no signing key in ${dataDir}: no embedded system has run on this data directory, so a token signed here ` +
        `would be refused (401). No key was created.\n${pointAtRunningSystem(command)}`,
    );
    this.name = 'NoSigningKeyError';
    this.dataDir = dataDir;
  }
}

/**
 * The embedded system's signing key, which only `pnpm start` creates: a tool that made one of its own would sign
 * tokens nobody accepts. Throws NoSigningKeyError naming the directory when there is none.
 */
export async function loadSigningKey(dataDir: string, command: string): Promise<LocalKeys> {
  const found = await access(join(dataDir, SIGNING_KEY_FILE)).then(
    () => true,
    () => false,
  );
  if (!found) throw new NoSigningKeyError(dataDir, command);
  return LocalKeys.loadOrCreate(dataDir);
}
