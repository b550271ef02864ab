/**
 * `pnpm kit pull|record|sync|status`: the field kit's client. Records are made and kept on the kit (PGlite in
 * KIT_DATA_DIR) whatever the reception, and synced to the fieldkit service when there is some. The composition root:
 * arguments and configuration, then the store, the API client and the command. Results go to standard output,
 * progress and diagnostics to standard error; the token is never printed.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { MAX_SYNC_ITEMS } from '@buergerkoffer/shared/contracts';
import type { z } from 'zod';
import { type Command, configSchemas, parseConfig } from './config.ts';
import { EXIT, type Io } from './io.ts';
import { createKitApi } from './kit-api.ts';
import { StoreBusyError } from './lock.ts';
import { runPull } from './pull.command.ts';
import { parseJsonLines, type RecordInput, runRecord } from './record.command.ts';
import { dayIn, isCalendarDate, RECORD_KINDS, recordInputFromFlags } from './records.ts';
import { runStatus } from './status.command.ts';
import { BindingMismatchError, KitStore } from './store.ts';
import { DEFAULT_SYNC, runSync } from './sync.command.ts';
import { uuidv7 } from './uuidv7.ts';

const usage = `usage: pnpm kit <command> [options]

commands:
  pull [--date YYYY-MM-DD] [--show] [--deadline <s>]
        fetch the day's manifest (default: today in Europe/Berlin) and keep it; prints visit and case ids, times
        and services — names, birth dates and addresses only with --show
  record <kind> --visit <visitId> --by <staffId> [fields]
        record what happened on site; prints the submission id once it is stored. Kinds and their fields:
          visit-started | visit-ended
          device-check --phase start|end --devices camera=ok,printer=faulty
          service-completed --case <id> --service <id> --fee <cents> --payment card|cash|none [--reference R]
          service-not-completed --case <id> --service <id> --reason <reason>
  record --jsonl <file|->
        one JSON object per line with the record's own fields (kind, visitId, recordedBy, caseId, …); the kit
        fills in submissionId, deviceId, baseVersion, capturedAt and sequence. All lines are stored or none.
  sync [--batch N] [--deadline <s>] [--timeout <s>]
        send the pending records (batches of N, default ${DEFAULT_SYNC.batch}, at most ${MAX_SYNC_ITEMS}), retrying until the
        deadline (default ${DEFAULT_SYNC.deadlineMs / 1000} s; each request at most --timeout, default ${DEFAULT_SYNC.requestTimeoutMs / 1000} s)
  status [--json]
        pending and answered records, the last sync, conflicts for the office, manifests held (offline)

options for every command:
  --url <url>        the fieldkit API (overrides KIT_URL)
  --data-dir <dir>   the kit's data directory (overrides KIT_DATA_DIR)

environment:
  KIT_URL        the fieldkit API, e.g. http://127.0.0.1:3000/fieldkit            (pull, sync)
  KIT_TOKEN      a kit-device bearer token for this kit                          (pull, sync)
  KIT_ID         the kit's id (a UUID)                                           (pull, record, sync)
  KIT_DEVICE_ID  this device's name, e.g. bk-03-nb                               (record)
  KIT_DATA_DIR   where the kit keeps its store (default .kit)

exit codes:
  0   done
  1   failed (the server refused the request, or answered outside the protocol)
  2   usage or invalid input (nothing was stored)
  75  try again: no answer before the deadline (network down, server busy), or another kit command holds the store
  77  not authorised (the server refused the token: 401/403)
  78  bad configuration (or a data directory of another kit or device)`;

const io: Io = {
  out: (line) => void process.stdout.write(`${line}\n`),
  err: (line) => void process.stderr.write(`${line}\n`),
};

class UsageError extends Error {}
class ConfigurationError extends Error {}

const COMMANDS = ['pull', 'record', 'sync', 'status'] as const satisfies readonly Command[];
const isCommand = (value: string | undefined): value is (typeof COMMANDS)[number] => COMMANDS.some((c) => c === value);

const options = {
  url: { type: 'string' },
  'data-dir': { type: 'string' },
  help: { type: 'boolean', short: 'h', default: false },
  // pull
  date: { type: 'string' },
  show: { type: 'boolean', default: false },
  // pull, sync
  deadline: { type: 'string' },
  timeout: { type: 'string' },
  // sync
  batch: { type: 'string' },
  // status
  json: { type: 'boolean', default: false },
  // record
  jsonl: { type: 'string' },
  visit: { type: 'string' },
  by: { type: 'string' },
  phase: { type: 'string' },
  devices: { type: 'string' },
  case: { type: 'string' },
  service: { type: 'string' },
  fee: { type: 'string' },
  payment: { type: 'string' },
  reference: { type: 'string' },
  reason: { type: 'string' },
} as const;

/** Which options each command takes (parseArgs checks the names; this, which command they belong to). */
const ACCEPTS: Readonly<Record<Command, readonly (keyof typeof options)[]>> = {
  pull: ['date', 'show', 'deadline', 'timeout'],
  record: ['jsonl', 'visit', 'by', 'phase', 'devices', 'case', 'service', 'fee', 'payment', 'reference', 'reason'],
  sync: ['batch', 'deadline', 'timeout'],
  status: ['json'],
};

const seconds = (flag: string, value: string | undefined, fallbackMs: number): number => {
  if (value === undefined) return fallbackMs;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`--${flag} must be a number of seconds above 0`);
  return Math.round(n * 1000);
};

async function readInput(source: string): Promise<string> {
  if (source === '-') {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
    return Buffer.concat(chunks).toString('utf8');
  }
  try {
    return await readFile(source, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read ${source}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
}

async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    (command === undefined ? io.err : io.out)(usage);
    return command === undefined ? EXIT.usage : EXIT.ok;
  }
  if (!isCommand(command)) {
    io.err(`kit: unknown command: ${command}\n\n${usage}`);
    return EXIT.usage;
  }
  let parsed: ReturnType<typeof parse>;
  const parse = () => parseArgs({ args: rest, allowPositionals: true, strict: true, options });
  try {
    parsed = parse();
  } catch (error) {
    io.err(`kit ${command}: ${error instanceof Error ? error.message : String(error)} (pnpm kit --help)`);
    return EXIT.usage;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.out(usage);
    return EXIT.ok;
  }
  // The options given (a boolean only when set: parseArgs fills in their defaults).
  const names = Object.keys(options).filter((name): name is keyof typeof options => name in options);
  const given = names.filter((name) => values[name] !== undefined && values[name] !== false);
  const foreign = given.filter(
    (name) => !['url', 'data-dir', 'help'].includes(name) && !ACCEPTS[command].includes(name),
  );
  if (foreign.length > 0) {
    io.err(`kit ${command}: does not take ${foreign.map((f) => `--${f}`).join(', ')} (pnpm kit --help)`);
    return EXIT.usage;
  }
  if (command !== 'record' && positionals.length > 0) {
    io.err(`kit ${command}: unexpected argument ${positionals[0]} (pnpm kit --help)`);
    return EXIT.usage;
  }

  const overrides = { url: values.url, dataDir: values['data-dir'] };
  const configure = <S extends z.ZodType>(schema: S): z.output<S> => {
    const configured = parseConfig(schema, command, process.env, overrides);
    if (!configured.ok) throw new ConfigurationError(configured.message);
    return configured.config;
  };

  try {
    switch (command) {
      case 'pull': {
        const date = values.date ?? dayIn(new Date());
        if (!isCalendarDate(date)) throw new UsageError('--date must be a day as YYYY-MM-DD');
        const config = configure(configSchemas.pull);
        const deadlineMs = seconds('deadline', values.deadline, DEFAULT_SYNC.deadlineMs);
        const requestTimeoutMs = seconds('timeout', values.timeout, DEFAULT_SYNC.requestTimeoutMs);
        return await withStore(config.KIT_DATA_DIR, async (store) => {
          await store.bind(config.KIT_ID);
          const api = createKitApi({ baseUrl: config.KIT_URL, token: config.KIT_TOKEN, kitId: config.KIT_ID });
          return runPull(
            { store, api, io, now: Date.now, sleep: (ms) => sleep(ms), random: Math.random },
            { kitId: config.KIT_ID, date, show: values.show, deadlineMs, requestTimeoutMs },
          );
        });
      }
      case 'record': {
        const config = configure(configSchemas.record);
        const kind = positionals[0];
        let inputs: RecordInput[];
        if (values.jsonl !== undefined) {
          if (kind !== undefined || given.some((name) => name !== 'jsonl' && ACCEPTS.record.includes(name)))
            throw new UsageError('record --jsonl takes the records from its input only: no kind, no field flags');
          const lines = parseJsonLines(await readInput(values.jsonl));
          if (lines.errors.length > 0) {
            for (const error of lines.errors) io.err(`record: ${error}`);
            io.err('record: nothing stored');
            return EXIT.usage;
          }
          inputs = lines.inputs;
        } else {
          if (kind === undefined || !RECORD_KINDS.some((k) => k === kind))
            throw new UsageError(
              `record needs a kind (${RECORD_KINDS.join(', ')}) or --jsonl <file|->${kind ? `, not ${kind}` : ''}`,
            );
          if (positionals.length > 1) throw new UsageError(`unexpected argument ${positionals[1]}`);
          inputs = [{ label: kind, input: recordInputFromFlags(kind, values) }];
        }
        return await withStore(config.KIT_DATA_DIR, async (store) => {
          await store.bind(config.KIT_ID, config.KIT_DEVICE_ID);
          return runRecord(
            {
              store,
              io,
              deviceId: config.KIT_DEVICE_ID,
              now: () => new Date(),
              newId: (at) => uuidv7(at.getTime()),
              offsetMinutes: (at) => -at.getTimezoneOffset(),
            },
            inputs,
            values.jsonl === undefined,
          );
        });
      }
      case 'sync': {
        const config = configure(configSchemas.sync);
        const batch = values.batch === undefined ? DEFAULT_SYNC.batch : Number(values.batch);
        if (!Number.isInteger(batch) || batch < 1 || batch > MAX_SYNC_ITEMS)
          throw new UsageError(`--batch must be a whole number from 1 to ${MAX_SYNC_ITEMS}`);
        const deadlineMs = seconds('deadline', values.deadline, DEFAULT_SYNC.deadlineMs);
        const requestTimeoutMs = seconds('timeout', values.timeout, DEFAULT_SYNC.requestTimeoutMs);
        return await withStore(config.KIT_DATA_DIR, async (store) => {
          await store.bind(config.KIT_ID);
          const api = createKitApi({ baseUrl: config.KIT_URL, token: config.KIT_TOKEN, kitId: config.KIT_ID });
          return runSync(
            { store, api, io, now: Date.now, sleep: (ms) => sleep(ms), random: Math.random },
            { batch, deadlineMs, requestTimeoutMs },
          );
        });
      }
      case 'status': {
        const config = configure(configSchemas.status);
        return await withStore(config.KIT_DATA_DIR, async (store) =>
          runStatus(io, config.KIT_DATA_DIR, await store.status(), values.json),
        );
      }
      default: {
        const _exhaustive: never = command;
        return _exhaustive;
      }
    }
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`kit ${command}: ${error.message} (pnpm kit --help)`);
      return EXIT.usage;
    }
    if (error instanceof ConfigurationError) {
      io.err(`kit: ${error.message}\n(pnpm kit --help lists the variables)`);
      return EXIT.config;
    }
    if (error instanceof StoreBusyError) {
      io.err(`kit ${command}: ${error.message}`);
      return EXIT.tempFail;
    }
    if (error instanceof BindingMismatchError) {
      io.err(`kit ${command}: ${error.message}`);
      return EXIT.config;
    }
    throw error;
  }
}

async function withStore(dataDir: string, run: (store: KitStore) => Promise<number>): Promise<number> {
  const store = await KitStore.open(resolve(dataDir));
  try {
    return await run(store);
  } finally {
    await store.close();
  }
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  // One line, not a stack: the cause is what the operator needs.
  io.err(`kit: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = EXIT.failed;
}
