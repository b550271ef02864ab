/**
 * Composition root of the embedded system (`pnpm start`): config → logger → process guard → app → listen → state
 * file → graceful shutdown. The process guard (shared with the standalone services, `guardProcess`): an uncaught
 * exception, or a failure nobody caught during start-up, is logged and exits 70; later unhandled rejections are
 * logged and counted. The state file (`<DATA_DIR>/system.json`, system-state.ts) tells the CLIs where it listens;
 * it is removed on shutdown and on any exit, so only a process killed outright leaves it (the CLIs see it stale).
 */
import { resolve } from 'node:path';
import { ConfigError, parseConfig } from '@buergerkoffer/shared/config';
import { guardProcess, onShutdown } from '@buergerkoffer/shared/http';
import { createLogger, startTracing } from '@buergerkoffer/shared/observability';
import { EventStoreUnreachableError, EXIT_UNAVAILABLE } from '@buergerkoffer/shared/runtime';
import { buildEmbedded } from './app.ts';
import { configSchema } from './config.ts';
import { DataDirLockedError, lockDataDir } from './data-dir-lock.ts';
import { localUrl, type WrittenState, writeSystemState } from './system-state.ts';

let config: ReturnType<typeof parseConfig<typeof configSchema>>;
try {
  config = parseConfig(configSchema, process.env);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(`${error.message}\n`);
  process.exit(78); // EX_CONFIG
}

const tracing = startTracing({ serviceName: 'buergerkoffer-embedded' });
const logger = createLogger({ service: 'embedded', level: config.LOG_LEVEL });
const guard = guardProcess(logger, () => tracing.shutdown());
const dataDir = resolve(config.DATA_DIR);
let lock: Awaited<ReturnType<typeof lockDataDir>>;
try {
  // PGlite must never be opened by two processes (`pnpm casefile rebuild` takes the same lock).
  lock = await lockDataDir(dataDir);
} catch (error) {
  if (!(error instanceof DataDirLockedError)) throw error;
  process.stderr.write(`${error.message}\n`);
  process.exit(75); // EX_TEMPFAIL: try again once the other process has ended
}
if (config.BK_TEST_FAULT) logger.warn({ fault: config.BK_TEST_FAULT }, 'test fault hook armed');
let app: Awaited<ReturnType<typeof buildEmbedded>>;
try {
  app = await buildEmbedded({
    logger,
    dataDir,
    eventStore: config,
    readinessGraceMs: config.READINESS_GRACE_MS,
    metricsToken: config.METRICS_TOKEN,
    testFault: config.BK_TEST_FAULT,
  });
} catch (error) {
  if (!(error instanceof EventStoreUnreachableError)) throw error;
  process.stderr.write(`${error.message}\n`);
  lock.release();
  process.exit(EXIT_UNAVAILABLE);
}

let state: WrittenState | undefined;
onShutdown(logger, 10_000, async () => {
  // First: from here on the CLIs say "not running" instead of calling a server that is going away.
  state?.remove();
  await app.close();
  await tracing.shutdown();
  lock.release();
});

await app.listen({ port: config.PORT, host: config.HOST });
const address = app.server.address();
const port = typeof address === 'object' && address ? address.port : config.PORT;
const url = `http://${config.HOST.includes(':') ? `[${config.HOST}]` : config.HOST}:${port}`;
state = await writeSystemState(dataDir, {
  url: localUrl(config.HOST, port),
  port,
  pid: process.pid,
  dataDir,
  startedAt: new Date().toISOString(),
});
guard.started();
logger.info({ url, dataDir }, 'embedded system listening');
process.stdout.write(`Bürgerkoffer (embedded) listening on ${url} — health: ${url}/healthz — data: ${dataDir}\n`);
