/**
 * A service as a separate process for end-to-end tests: `node <main>` with the given environment, on a free port,
 * ready once it prints `listening on <url>`. Its output is kept for the failure message; it is killed after the file.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { afterAll } from 'vitest';

export interface ServiceProcess {
  readonly child: ChildProcess;
  readonly url: string;
  /** Everything it wrote to stdout and stderr so far. */
  output(): string;
  /** Resolves when it has exited (at once if it has). */
  readonly exited: Promise<number | null>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Kills every process the calling test file started, after the file. */
export function useServiceProcesses(): (main: string, env: Record<string, string>) => Promise<ServiceProcess> {
  const started: ChildProcess[] = [];
  afterAll(async () => {
    for (const child of started) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return async (main, env) => {
    let output = '';
    const child = spawn(process.execPath, [main], {
      env: { ...process.env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'warn', ...env },
    });
    started.push(child);
    const exited = new Promise<number | null>((resolve) => {
      if (child.exitCode !== null) resolve(child.exitCode);
      child.once('exit', (code) => resolve(code));
    });
    child.stdout?.on('data', (chunk) => {
      output += String(chunk);
    });
    child.stderr?.on('data', (chunk) => {
      output += String(chunk);
    });
    const deadline = Date.now() + 120_000;
    for (;;) {
      const url = /listening on (http:\/\/\S+)/.exec(output)?.[1];
      if (url) return { child, url, output: () => output, exited };
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`${main} did not start:\n${output}`);
      await sleep(50);
    }
  };
}

/** Polls `probe` until `accept` takes its value (a failed probe counts as no value); fails after `timeoutMs`. */
export async function pollUntil<T>(
  probe: () => Promise<T>,
  accept: (value: T) => boolean,
  timeoutMs: number,
  what: string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  for (;;) {
    last = await probe().catch(() => undefined);
    if (last !== undefined && accept(last)) return last;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} (last: ${JSON.stringify(last)})`);
    await sleep(200);
  }
}

/** A sample's value in a Prometheus text exposition (`name{labels} value`), or undefined when absent. */
export function metricValue(text: string, name: string, labels: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}}`));
  return line === undefined ? undefined : Number(line.split(' ').at(-1));
}
