/**
 * `pnpm casefile history <caseId>`: a case's audit history for auditors, read through the casefile API — never from
 * the database directly, so every read is authorised, purpose-bound and written to the access log like any other.
 * The API is the running system's (its `system.json` in DATA_DIR), unless --url or BK_URL names another.
 */
import { parseArgs } from 'node:util';
import { describeSystem, type FoundSystem, pointAtRunningSystem } from '@buergerkoffer/embedded/system-state';
import { PURPOSES, type Purpose } from '@buergerkoffer/shared/privacy';
import { z } from 'zod';

const isPurpose = (value: string): value is Purpose => (PURPOSES as readonly string[]).includes(value);

export const historyUsage = `usage: pnpm casefile history <caseId> --purpose <purpose> [--reference "<file>"] [--at <ISO time|position>]
                             [--json] [--url <casefile API>] [--token <jwt>] [--tenant <id>]

  --purpose    why the history is read (required; recorded in the access log): ${PURPOSES.join(', ')}
  --reference  the file the read is made under (e.g. "AZ 2026/17"; recorded with it)
  --at       also show the case's state at that time or global position, and only the events up to it
  --json     print JSON ({ caseId, events, state? }) instead of a table
  --url      the casefile API (default: $BK_URL; else the embedded system running on DATA_DIR, default .data,
             as \`pnpm start\` wrote it to <DATA_DIR>/system.json: <its url>/casefile)
  --token    bearer token (default: $BK_TOKEN; else an auditor token signed with the embedded key in DATA_DIR,
             for --tenant, default "default")`;

export interface HistoryArgs {
  readonly caseId: string;
  readonly purpose: Purpose;
  readonly reference?: string | undefined;
  /** A global position (whole number) or an instant (ISO 8601). */
  readonly at?: { readonly position: number } | { readonly time: string } | undefined;
  readonly json: boolean;
  /** The casefile API as given with --url; undefined: BK_URL, else the running system's (resolveApiUrl). */
  readonly url?: string | undefined;
  readonly token?: string | undefined;
  readonly tenant: string;
}

export type Parsed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly message: string };

/** A date (its start in UTC), or a time with its zone: a time without one would mean whichever zone the server has. */
const ISO_TIME = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2}))?$/;

export function parseHistoryArgs(argv: readonly string[]): Parsed<HistoryArgs> | { readonly ok: 'help' } {
  let parsed: ReturnType<typeof parse>;
  const parse = () =>
    parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        at: { type: 'string' },
        json: { type: 'boolean', default: false },
        purpose: { type: 'string' },
        reference: { type: 'string' },
        url: { type: 'string' },
        token: { type: 'string' },
        tenant: { type: 'string', default: 'default' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  try {
    parsed = parse();
  } catch (error) {
    return { ok: false, message: error instanceof Error ? error.message : String(error) };
  }
  const { values, positionals } = parsed;
  if (values.help) return { ok: 'help' };
  const [caseId, ...extra] = positionals;
  if (!caseId) return { ok: false, message: 'the case id is missing' };
  if (extra.length > 0) return { ok: false, message: `unexpected argument: ${extra.join(' ')}` };
  const purpose = values.purpose?.trim();
  if (!purpose)
    return { ok: false, message: `--purpose is required: say why you read this history (${PURPOSES.join(', ')})` };
  if (!isPurpose(purpose))
    return { ok: false, message: `--purpose must be one of ${PURPOSES.join(', ')}, got "${purpose}"` };
  const reference = values.reference?.trim() || undefined;
  let at: HistoryArgs['at'];
  if (values.at !== undefined) {
    if (/^\d+$/.test(values.at)) at = { position: Number(values.at) };
    else if (ISO_TIME.test(values.at) && !Number.isNaN(Date.parse(values.at))) at = { time: values.at };
    else
      return {
        ok: false,
        message: `--at must be an ISO 8601 time with a zone (2026-11-25T10:00:00Z), a date, or a global position, got "${values.at}"`,
      };
  }
  const url = values.url === undefined ? undefined : parseApiUrl('--url', values.url);
  if (url && !url.ok) return url;
  return {
    ok: true,
    value: {
      caseId,
      purpose,
      reference,
      at,
      json: values.json,
      url: url?.value,
      token: values.token,
      tenant: values.tenant,
    },
  };
}

/** An http(s) URL without its trailing slash, or why not (`name` says where it came from: --url, BK_URL). */
export function parseApiUrl(name: string, text: string): Parsed<string> {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return { ok: false, message: `${name} is not a URL: ${text}` };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return { ok: false, message: `${name} must be http(s), got ${url.protocol}` };
  }
  return { ok: true, value: url.toString().replace(/\/+$/, '') };
}

/**
 * The casefile API to call: --url, else BK_URL, else the embedded system that runs on DATA_DIR (`<url>/casefile`).
 * Never a guessed port: with nothing running there, the answer says so and how to point at the system that runs.
 */
export function resolveApiUrl(given: {
  readonly flag: string | undefined;
  readonly env: string | undefined;
  readonly dataDir: string;
  readonly found: FoundSystem;
}): Parsed<string> {
  if (given.flag !== undefined) return { ok: true, value: given.flag };
  if (given.env !== undefined) return parseApiUrl('BK_URL', given.env);
  if (given.found.status === 'running') return { ok: true, value: `${given.found.state.url}/casefile` };
  return {
    ok: false,
    message:
      `${describeSystem(given.dataDir, given.found)}.\n` +
      `${pointAtRunningSystem('pnpm casefile history …')}\n` +
      'or name the casefile API: --url <url> or BK_URL=<url> (e.g. http://127.0.0.1:3000/casefile).',
  };
}

export interface HistoryEvent {
  readonly position: number;
  readonly recordedAt: string;
  readonly service: string;
  readonly stream: string;
  readonly type: string;
  readonly actor?: { readonly id: string; readonly role: string } | null | undefined;
  readonly correlationId?: string | null | undefined;
  readonly data?: unknown;
}

export interface CaseState {
  readonly caseId: string;
  readonly asOf: string;
  readonly status: string;
  readonly [key: string]: unknown;
}

/** The events whose place is at or before `at` (all of them without `at`). */
export function upTo(events: readonly HistoryEvent[], at: HistoryArgs['at']): HistoryEvent[] {
  if (!at) return [...events];
  if ('position' in at) return events.filter((event) => event.position <= at.position);
  const limit = Date.parse(at.time);
  return events.filter((event) => Date.parse(event.recordedAt) <= limit);
}

/** A plain table: position, time, service, type, actor; columns as wide as their widest cell. */
export function renderHistoryTable(events: readonly HistoryEvent[]): string {
  const header = ['POSITION', 'TIME', 'SERVICE', 'TYPE', 'ACTOR'];
  const rows = events.map((event) => [
    String(event.position),
    event.recordedAt,
    event.service,
    event.type,
    event.actor ? `${event.actor.id} (${event.actor.role})` : '—',
  ]);
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]?.length ?? 0)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) => (column === 0 ? cell.padStart(widths[column] ?? 0) : cell.padEnd(widths[column] ?? 0)))
      .join('  ')
      .trimEnd();
  const count = `${events.length} event${events.length === 1 ? '' : 's'}`;
  return [line(header), ...rows.map(line), count].join('\n');
}

/** The state as `field: value` lines, `status` and `asOf` first; nested values as compact JSON. */
export function renderState(state: CaseState): string {
  const { caseId, asOf, status, ...rest } = state;
  const fields: [string, unknown][] = [['case', caseId], ['as of', asOf], ['status', status], ...Object.entries(rest)];
  const width = Math.max(...fields.map(([name]) => name.length));
  return fields
    .map(
      ([name, value]) => `${`${name}:`.padEnd(width + 1)} ${typeof value === 'string' ? value : JSON.stringify(value)}`,
    )
    .join('\n');
}

/** An RFC 9457 problem as one or more lines for stderr. */
export function renderProblem(status: number, body: unknown): string {
  const problem = (typeof body === 'object' && body !== null ? body : {}) as {
    title?: unknown;
    detail?: unknown;
    errors?: unknown;
  };
  const title = typeof problem.title === 'string' ? problem.title : `HTTP ${status}`;
  const lines = [typeof problem.detail === 'string' ? `${title}: ${problem.detail}` : title];
  if (Array.isArray(problem.errors)) {
    for (const error of problem.errors) {
      const { field, message } = (error ?? {}) as { field?: unknown; message?: unknown };
      lines.push(
        `  ${typeof field === 'string' ? `${field}: ` : ''}${typeof message === 'string' ? message : JSON.stringify(error)}`,
      );
    }
  }
  return lines.join('\n');
}

export class ApiError extends Error {
  readonly status: number;
  readonly body: unknown;
  constructor(status: number, body: unknown) {
    super(renderProblem(status, body));
    this.name = 'ApiError';
    this.status = status;
    this.body = body;
  }
}

export interface HistoryIo {
  readonly fetch: typeof fetch;
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** The bearer token to send (resolved by the caller: --token, BK_TOKEN or a minted one). */
  readonly token: string;
}

async function getJson(io: HistoryIo, url: string): Promise<unknown> {
  const response = await io.fetch(url, {
    headers: { authorization: `Bearer ${io.token}`, accept: 'application/json, application/problem+json' },
  });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON (a proxy's error page): shown as its status
  }
  if (!response.ok) throw new ApiError(response.status, body);
  return body;
}

/** What the casefile API answers, checked (no cast on received data); fields beyond these are kept for --json. */
const historyEvent = z.looseObject({
  position: z.number().int(),
  recordedAt: z.string(),
  service: z.string(),
  stream: z.string(),
  type: z.string(),
  actor: z.object({ id: z.string(), role: z.string() }).nullish(),
  correlationId: z.string().nullish(),
  data: z.unknown().optional(),
});
const historyPage = z.object({ events: z.array(historyEvent), next: z.string().nullish() });
const caseState = z.looseObject({ caseId: z.string(), asOf: z.string(), status: z.string() });

class UnexpectedAnswer extends Error {}

function decode<T>(schema: z.ZodType<T>, body: unknown, what: string): T {
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  const where = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(body)'}: ${issue.message}`);
  throw new UnexpectedAnswer(`unexpected ${what} from the casefile API: ${where.slice(0, 3).join('; ')}`);
}

/** A failed request in one line: fetch's own message ("fetch failed") hides the cause (ECONNREFUSED …). */
const describeFailure = (url: string, error: unknown): string => {
  if (error instanceof ApiError || error instanceof UnexpectedAnswer) return error.message;
  const message = error instanceof Error ? error.message : String(error);
  const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : '';
  return `casefile API at ${url}: ${message}${cause}`;
};

/** Prints the history (and the state at `--at`) from the casefile API at `args.url`; answers the exit code. */
export async function runHistory(args: HistoryArgs & { readonly url: string }, io: HistoryIo): Promise<number> {
  const base = `${args.url}/cases/${encodeURIComponent(args.caseId)}`;
  const purpose = `${encodeURIComponent(args.purpose)}${args.reference ? `&reference=${encodeURIComponent(args.reference)}` : ''}`;
  try {
    const events: HistoryEvent[] = [];
    let cursor: string | null = null;
    // Bounded, in case a server kept answering the same cursor.
    for (let page = 0; page < 100_000; page++) {
      const after: string = cursor === null ? '' : `&after=${encodeURIComponent(cursor)}`;
      const body = decode(
        historyPage,
        await getJson(io, `${base}/history?purpose=${purpose}&limit=1000${after}`),
        'history page',
      );
      events.push(...body.events);
      if (body.next === null || body.next === undefined || body.next === cursor) break;
      cursor = body.next;
    }
    const shown = upTo(events, args.at);
    let state: CaseState | undefined;
    if (args.at) {
      const at = encodeURIComponent('position' in args.at ? String(args.at.position) : args.at.time);
      state = decode(caseState, await getJson(io, `${base}/state?at=${at}&purpose=${purpose}`), 'state');
    }
    if (args.json) {
      io.stdout(`${JSON.stringify({ caseId: args.caseId, events: shown, ...(state ? { state } : {}) }, null, 2)}\n`);
    } else {
      io.stdout(`${renderHistoryTable(shown)}\n`);
      if (state) io.stdout(`\n${renderState(state)}\n`);
    }
    return 0;
  } catch (error) {
    io.stderr(`${describeFailure(args.url, error)}\n`);
    return 1;
  }
}
