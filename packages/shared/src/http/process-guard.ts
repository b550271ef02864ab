/**
 * What a service process does with a failure nobody caught — the same in every standalone service (`runService`) and
 * in the embedded app — so that none ends a process, or goes by, without a word in the log:
 *
 * - `uncaughtException` (a throw that unwound to the event loop; also a start-up whose top-level await rejected,
 *   which Node reports as an uncaught exception with origin `unhandledRejection`): logged at `fatal`, then the log
 *   and `flush` (e.g. tracing) get up to 2 s, then exit 70 (EX_SOFTWARE). Code was interrupted half-way, so Node's
 *   state is unknown; the supervisor (compose `restart`, Kubernetes) starts the process again.
 * - `unhandledRejection` (a promise whose failure nobody awaited) once the process has `started()`: logged at
 *   `error` with a running count, and the process goes on. No code was interrupted half-way (a rejection unwinds
 *   only its own async chain), the parts that run for the life of the process look after themselves (consumers,
 *   projections and relays start over) and readiness shows what is down, so exiting would turn one lost operation
 *   into an outage of everything the process serves.
 * - `unhandledRejection` before `started()`: exit 70 like an uncaught exception. During start-up the lost operation
 *   may be one the service needs in order to work at all, and nothing is being served yet that an exit would cut off.
 *
 * The log line carries the error's name, code, message and stack frames — never the error object's other fields
 * (a database error's `detail` quotes row values) — so it holds no personal data beyond what a message might.
 */
import type { Logger } from '../observability/logger.ts';

/** EX_SOFTWARE (sysexits.h): an internal error; the process cannot go on. */
export const EXIT_INTERNAL_ERROR = 70;

export interface ProcessGuard {
  /** Start-up is over: from now on an unhandled rejection is logged and the process goes on. */
  started(): void;
  /** Unhandled rejections logged so far (after start-up; one before it ends the process). */
  readonly unhandledRejections: number;
}

const MESSAGE_LIMIT = 500;

/** Name, code, message, stack frames and cause; nothing else the error object may carry. */
export function errorFields(error: unknown, depth = 0): Record<string, unknown> {
  if (!(error instanceof Error)) return { type: typeof error };
  const code = 'code' in error ? error.code : undefined;
  const message = error.message.length > MESSAGE_LIMIT ? `${error.message.slice(0, MESSAGE_LIMIT)}…` : error.message;
  const frames = (error.stack ?? '')
    .split('\n')
    .filter((line) => line.startsWith('    at '))
    .slice(0, 20)
    .map((line) => line.trim());
  return {
    type: error.name,
    ...(typeof code === 'string' || typeof code === 'number' ? { code } : {}),
    message,
    stack: frames,
    ...(error.cause !== undefined && depth < 2 ? { cause: errorFields(error.cause, depth + 1) } : {}),
  };
}

/**
 * Installs the process-wide handlers described above; call it once, in the composition root, as soon as the logger
 * exists. `flush` is awaited, best effort and at most 2 s, before an exit.
 */
export function guardProcess(logger: Logger, flush: () => Promise<void> = async () => undefined): ProcessGuard {
  let running = false;
  let rejections = 0;
  let exiting = false;

  const exit = (event: string, error: unknown, origin?: string) => {
    if (exiting) return; // a second failure while flushing: the first one is being reported
    exiting = true;
    logger.fatal({ error: errorFields(error), event, ...(origin ? { origin } : {}) }, 'process failed; exiting');
    const hardStop = setTimeout(() => process.exit(EXIT_INTERNAL_ERROR), 2_000);
    hardStop.unref();
    void Promise.allSettled([
      new Promise<void>((resolve) => logger.flush(() => resolve())),
      flush().catch(() => undefined),
    ]).then(() => process.exit(EXIT_INTERNAL_ERROR));
  };

  process.on('uncaughtException', (error, origin) => exit('uncaughtException', error, origin));
  process.on('unhandledRejection', (reason) => {
    if (!running) return exit('unhandledRejection', reason);
    rejections++;
    logger.error({ error: errorFields(reason), unhandledRejections: rejections }, 'unhandled rejection; continuing');
  });

  return {
    started: () => {
      running = true;
    },
    get unhandledRejections() {
      return rejections;
    },
  };
}

/**
 * On SIGTERM or SIGINT: run `close` once, then exit 0; exit 1 if it takes longer than `timeoutMs`.
 */
export function onShutdown(logger: Logger, timeoutMs: number, close: () => Promise<void>): void {
  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    logger.info({ signal }, 'shutting down');
    const force = setTimeout(() => process.exit(1), timeoutMs).unref();
    await close();
    clearTimeout(force);
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
}
