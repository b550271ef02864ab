/**
 * Servers of a test's own, to stop and start for real without disturbing the other test files running on the shared
 * ones: a Kafka broker from the Apache jars on a port of its own (`infra/kafka/kafka.sh` with `KAFKA_PORT`; the
 * jars are shared, the data is the port's), and a PostgreSQL cluster of its own (initdb in a temporary directory,
 * `pg_ctl` on a free port; as the `postgres` user when the tests run as root, since PostgreSQL refuses root).
 * Both are the real servers — a restart is a real restart: connections drop, new ones are refused until it is back.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chown, mkdtemp, readdir, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { kafkaAnswers, kafkaScript } from './infra.ts';

const run = promisify(execFile);

/** A free TCP port on 127.0.0.1 (and, for Kafka, the one after it for the controller). */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const server = createServer();
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const address = server.address();
        server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
      });
    });
    // Kafka's controller takes port + 1; keep both below the top of the range.
    if (port > 0 && port < 65_000) return port;
  }
}

export interface PrivateKafka {
  readonly brokers: string;
  readonly port: number;
  start(): Promise<void>;
  /** A clean stop (SIGTERM): the broker is gone until `start`. */
  stop(): Promise<void>;
  /** Stops it and deletes its data (topics, offsets, the cluster id), then starts a fresh one. */
  reset(): Promise<void>;
  /** Stops it and deletes its data for good. */
  destroy(): Promise<void>;
}

export function privateKafka(port: number): PrivateKafka {
  const env = { ...process.env, KAFKA_PORT: String(port), KAFKA_CONTROLLER_PORT: String(port + 1) };
  const script = (command: string) => run('bash', [kafkaScript, command], { env, timeout: 180_000 });
  const brokers = `127.0.0.1:${port}`;
  const start = async () => {
    await script('start');
    await kafkaAnswers(brokers, 60_000);
  };
  return {
    brokers,
    port,
    start,
    stop: async () => {
      await script('stop');
    },
    reset: async () => {
      await script('reset');
      await start();
    },
    destroy: async () => {
      await script('reset').catch(() => undefined);
      await script('stop').catch(() => undefined);
    },
  };
}

export interface PrivatePostgres {
  /** `postgres://postgres@127.0.0.1:<port>/postgres` */
  readonly url: string;
  start(): Promise<void>;
  /** A fast shutdown (`pg_ctl stop -m fast`): sessions are terminated, new connections refused until `start`. */
  stop(): Promise<void>;
  destroy(): Promise<void>;
}

/** Where the PostgreSQL server binaries are (Debian's layout), or undefined. */
export async function postgresBinaries(): Promise<string | undefined> {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = (await readdir(root)).sort((a, b) => Number(b) - Number(a));
  for (const version of versions) {
    const bin = join(root, version, 'bin');
    if (existsSync(join(bin, 'initdb')) && existsSync(join(bin, 'pg_ctl'))) return bin;
  }
  return undefined;
}

export async function privatePostgres(): Promise<PrivatePostgres> {
  const bin = await postgresBinaries();
  if (!bin) throw new Error('no PostgreSQL server binaries (initdb, pg_ctl) under /usr/lib/postgresql');
  const dir = await mkdtemp(join(tmpdir(), 'bk-pg-'));
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    const { stdout } = await run('id', ['-u', 'postgres']);
    const { stdout: gid } = await run('id', ['-g', 'postgres']);
    await chown(dir, Number(stdout.trim()), Number(gid.trim()));
  }
  const as = (file: string, args: string[]) =>
    asRoot ? run('runuser', ['-u', 'postgres', '--', file, ...args]) : run(file, args);
  const data = join(dir, 'data');
  await as(join(bin, 'initdb'), ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync']);
  const port = await freePort();
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`;
  const start = async () => {
    await as(join(bin, 'pg_ctl'), ['-D', data, '-o', options, '-l', join(dir, 'server.log'), '-w', 'start']);
  };
  await start();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    start,
    stop: async () => {
      await as(join(bin, 'pg_ctl'), ['-D', data, '-m', 'fast', '-w', 'stop']);
    },
    destroy: async () => {
      await as(join(bin, 'pg_ctl'), ['-D', data, '-m', 'immediate', '-w', 'stop']).catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
