/** The kit client (or a fixture) as its own process, for the integration specs: output collected, conditions awaited. */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const KIT_CLI = fileURLToPath(new URL('./kit.cli.ts', import.meta.url));

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface Running {
  readonly child: ChildProcess;
  readonly exit: Promise<Exit>;
  stdout(): string;
  stderr(): string;
  /** Resolves once the output satisfies `condition`; rejects if the process ends first. */
  until(condition: (output: { stdout: string; stderr: string }) => boolean): Promise<void>;
}

const running = new Set<ChildProcess>();

/** Kills what is still running (afterAll). */
export function killAll(): void {
  for (const child of running) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

export function start(script: string, args: readonly string[], env: Record<string, string>, input?: string): Running {
  const child = spawn(process.execPath, [script, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  running.add(child);
  let stdout = '';
  let stderr = '';
  const waiters = new Set<() => void>();
  const check = () => {
    for (const waiter of waiters) waiter();
  };
  child.stdout?.on('data', (chunk) => {
    stdout += String(chunk);
    check();
  });
  child.stderr?.on('data', (chunk) => {
    stderr += String(chunk);
    check();
  });
  child.stdin?.on('error', () => undefined); // a child killed before it read all its input
  if (input !== undefined) child.stdin?.end(input);
  else child.stdin?.end();
  const exit = new Promise<Exit>((resolve) =>
    child.once('close', (code, signal) => {
      running.delete(child);
      resolve({ code, signal, stdout, stderr });
      check();
    }),
  );
  let ended = false;
  void exit.then(() => {
    ended = true;
    check();
  });
  return {
    child,
    exit,
    stdout: () => stdout,
    stderr: () => stderr,
    until: (condition) =>
      new Promise<void>((resolve, reject) => {
        const waiter = () => {
          if (condition({ stdout, stderr })) {
            waiters.delete(waiter);
            resolve();
          } else if (ended) {
            waiters.delete(waiter);
            reject(new Error(`the process ended first:\n${stdout}\n${stderr}`));
          }
        };
        waiters.add(waiter);
        waiter();
      }),
  };
}

/** `pnpm kit …` run to its end. */
export const kit = (args: readonly string[], env: Record<string, string>, input?: string): Promise<Exit> =>
  start(KIT_CLI, args, env, input).exit;

export const lines = (text: string): string[] => text.split('\n').filter((line) => line.trim() !== '');
