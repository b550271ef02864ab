/**
 * Resolution of the real infrastructure that tests run against, in this order for each component:
 *   1. a URL from the environment (KAFKA_BROKERS, DATABASE_URL, KURRENTDB_URL),
 *   2. a container started through testcontainers, when a container runtime answers,
 *   3. a local process: the Kafka broker from infra/kafka (started if needed), PostgreSQL on 127.0.0.1:5432.
 * KurrentDB has no local process: without 1 or 2 it is unavailable, with the reason, and its suites are not run.
 * Nothing here fakes a server.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import pg from 'pg';

const run = promisify(execFile);

export type InfraName = 'kafka' | 'postgres' | 'kurrentdb';
export type InfraSource = 'env' | 'container' | 'local-process';

export type Resolved =
  | { available: true; url: string; source: InfraSource; detail: string }
  | { available: false; reason: string };

/** What the global setup hands to every test file (serialisable). */
export interface ResolvedInfra {
  runId: string;
  kafka: Resolved;
  postgres: Resolved;
  kurrentdb: Resolved;
}

export interface Env {
  readonly [name: string]: string | undefined;
}

export const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));
export const kafkaScript = fileURLToPath(new URL('../../../../infra/kafka/kafka.sh', import.meta.url));

/** What was started here and must be stopped at the end of the run. */
export type Stopper = () => Promise<void>;

interface Outcome {
  resolved: Resolved;
  stop?: Stopper;
}

const errorText = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** Whether a container runtime answers; `getContainerRuntimeClient` rejects within milliseconds when none does. */
export async function containerRuntime(): Promise<{ ok: true } | { ok: false; reason: string }> {
  try {
    const { getContainerRuntimeClient } = await import('testcontainers');
    await getContainerRuntimeClient();
    return { ok: true };
  } catch (error) {
    return { ok: false, reason: `no container runtime (${errorText(error).split('\n')[0]})` };
  }
}

/** Answers when a Kafka broker at `brokers` serves metadata (retrying while it comes up). */
export async function kafkaAnswers(brokers: string, timeoutMs = 60_000): Promise<void> {
  const kafka = new Kafka({
    clientId: 'infra-probe',
    brokers: brokers.split(','),
    logLevel: logLevel.NOTHING,
    connectionTimeout: 2_000,
    retry: { retries: 0 },
  });
  const admin = kafka.admin();
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await admin.connect();
      await admin.describeCluster();
      // A consumer-group request makes the broker create __consumer_offsets and load its coordinator now, rather
      // than in the first test (where kafkajs logs "group coordinator not available" while it retries).
      await admin.fetchOffsets({ groupId: 'infra-probe', topics: [] });
      await admin.disconnect();
      return;
    } catch (error) {
      await admin.disconnect().catch(() => undefined);
      if (Date.now() > deadline) throw new Error(`Kafka at ${brokers} does not answer: ${errorText(error)}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}

/** Answers when PostgreSQL at `url` accepts a connection and a query. */
export async function postgresAnswers(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3_000 });
  try {
    await client.connect();
    await client.query('select 1');
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function resolveKafka(env: Env, runtime: Awaited<ReturnType<typeof containerRuntime>>): Promise<Outcome> {
  if (env.KAFKA_BROKERS) {
    await kafkaAnswers(env.KAFKA_BROKERS);
    return { resolved: { available: true, url: env.KAFKA_BROKERS, source: 'env', detail: 'KAFKA_BROKERS' } };
  }
  if (runtime.ok) {
    const { KafkaContainer } = await import('@testcontainers/kafka');
    const container = await new KafkaContainer(env.KAFKA_TEST_IMAGE ?? 'confluentinc/cp-kafka:8.0.0')
      .withKraft()
      .start();
    const url = `${container.getHost()}:${container.getMappedPort(9093)}`;
    return {
      resolved: { available: true, url, source: 'container', detail: 'testcontainers' },
      stop: async () => void (await container.stop()),
    };
  }
  // The local broker from the Apache jars; `start` is a no-op when it already runs (then we leave it running).
  const port = env.KAFKA_PORT ?? '9092';
  const scriptEnv = { ...process.env, KAFKA_PORT: port };
  const wasRunning = await run('bash', [kafkaScript, 'status'], { env: scriptEnv }).then(
    () => true,
    () => false,
  );
  const started = Date.now();
  try {
    await run('bash', [kafkaScript, 'start'], { env: scriptEnv, timeout: 600_000 });
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? '';
    return {
      resolved: { available: false, reason: `local broker did not start: ${stderr.trim() || errorText(error)}` },
    };
  }
  const url = `127.0.0.1:${port}`;
  await kafkaAnswers(url);
  const detail = wasRunning ? 'infra/kafka, already running' : `infra/kafka, started in ${Date.now() - started} ms`;
  return {
    resolved: { available: true, url, source: 'local-process', detail },
    ...(wasRunning ? {} : { stop: async () => void (await run('bash', [kafkaScript, 'stop'], { env: scriptEnv })) }),
  };
}

async function resolvePostgres(env: Env, runtime: Awaited<ReturnType<typeof containerRuntime>>): Promise<Outcome> {
  if (env.DATABASE_URL) {
    await postgresAnswers(env.DATABASE_URL);
    return { resolved: { available: true, url: env.DATABASE_URL, source: 'env', detail: 'DATABASE_URL' } };
  }
  if (runtime.ok) {
    const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
    const container = await new PostgreSqlContainer(env.POSTGRES_TEST_IMAGE ?? 'postgres:17-alpine').start();
    return {
      resolved: { available: true, url: container.getConnectionUri(), source: 'container', detail: 'testcontainers' },
      stop: async () => void (await container.stop()),
    };
  }
  const url = 'postgres://postgres@127.0.0.1:5432/postgres';
  try {
    await postgresAnswers(url);
  } catch (error) {
    return { resolved: { available: false, reason: `no PostgreSQL on 127.0.0.1:5432 (${errorText(error)})` } };
  }
  return { resolved: { available: true, url, source: 'local-process', detail: '127.0.0.1:5432' } };
}

async function resolveKurrentDb(env: Env, runtime: Awaited<ReturnType<typeof containerRuntime>>): Promise<Outcome> {
  if (env.KURRENTDB_URL) {
    return { resolved: { available: true, url: env.KURRENTDB_URL, source: 'env', detail: 'KURRENTDB_URL' } };
  }
  if (runtime.ok) {
    const { KurrentDbContainer } = await import('@testcontainers/kurrentdb');
    const container = await new KurrentDbContainer(
      env.KURRENTDB_TEST_IMAGE ?? 'kurrentplatform/kurrentdb:25.1',
    ).start();
    return {
      resolved: {
        available: true,
        url: container.getConnectionString(),
        source: 'container',
        detail: 'testcontainers',
      },
      stop: async () => void (await container.stop()),
    };
  }
  return {
    resolved: {
      available: false,
      reason: `KURRENTDB_URL is not set and ${runtime.reason}; KurrentDB has no local process on this machine`,
    },
  };
}

/** Kafka alone (e.g. for a benchmark): resolved as for the tests; `stop` stops a broker started here. */
export async function resolveKafkaOnly(env: Env): Promise<{ resolved: Resolved; stop: Stopper }> {
  const outcome = await resolveKafka(env, await containerRuntime()).catch(
    (error: unknown): Outcome => ({ resolved: { available: false, reason: errorText(error) } }),
  );
  return { resolved: outcome.resolved, stop: outcome.stop ?? (async () => undefined) };
}

/**
 * Resolves all three components. A component that fails to resolve is reported unavailable with its reason; the
 * caller decides whether that is fatal (in CI, Kafka and PostgreSQL are required).
 */
export async function resolveInfrastructure(env: Env): Promise<{ infra: ResolvedInfra; stop: Stopper }> {
  const runtime = await containerRuntime();
  const settle = async (what: Promise<Outcome>): Promise<Outcome> =>
    what.catch((error: unknown) => ({ resolved: { available: false, reason: errorText(error) } }));
  const [kafka, postgres, kurrentdb] = await Promise.all([
    settle(resolveKafka(env, runtime)),
    settle(resolvePostgres(env, runtime)),
    settle(resolveKurrentDb(env, runtime)),
  ]);
  const stoppers = [kafka.stop, postgres.stop, kurrentdb.stop].filter((stop): stop is Stopper => stop !== undefined);
  return {
    infra: {
      runId: `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`,
      kafka: kafka.resolved,
      postgres: postgres.resolved,
      kurrentdb: kurrentdb.resolved,
    },
    stop: async () => {
      await Promise.allSettled(stoppers.map((stop) => stop()));
    },
  };
}

/** In CI, Kafka and PostgreSQL are required: the run fails instead of skipping their suites. */
export function requiredButMissing(infra: ResolvedInfra, env: Env): string[] {
  if (env.CI !== 'true') return [];
  const missing: string[] = [];
  for (const name of ['kafka', 'postgres'] as const) {
    const resolved = infra[name];
    if (!resolved.available) missing.push(`${name}: ${resolved.reason}`);
  }
  return missing;
}

export function describeResolution(infra: ResolvedInfra): string[] {
  return (['kafka', 'postgres', 'kurrentdb'] as const).map((name) => {
    const resolved = infra[name];
    return resolved.available
      ? `infra: ${name} → ${redactUrl(resolved.url)} (${resolved.source}: ${resolved.detail})`
      : `infra: ${name} NOT AVAILABLE — its suites are NOT RUN: ${resolved.reason}`;
  });
}

/** Hides a password in a connection URL before it is printed. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:/@]+):([^@]+)@/, '//$1:***@');
}
