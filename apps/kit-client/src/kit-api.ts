/**
 * The fieldkit service as the kit sees it over HTTP: the day's manifest (conditional on the version held) and the
 * sync of a batch. Every answer is sorted into what the caller does next: use it, try again later (no answer, a
 * timeout, 408/425/429/5xx, 409 too-many-writers, or a 2xx that is not the contract's — a captive portal's page, say), stop as not
 * authorised (401/403), or stop as failed (any other 4xx, with the problem's detail). Problems are RFC 9457.
 */
import {
  type Manifest,
  manifestResponse,
  type SyncRecord,
  type SyncResponse,
  syncResponse,
} from '@buergerkoffer/shared/contracts';
import { z } from 'zod';
import { parseRetryAfter } from './backoff.ts';

export interface Problem {
  readonly status: number;
  /** The problem's stable code (this system's problems carry one beside `type`). */
  readonly code?: string | undefined;
  readonly title: string;
  readonly detail?: string | undefined;
  readonly errors?: readonly { readonly field: string; readonly message: string }[] | undefined;
}

export type Outcome<T> =
  | { readonly kind: 'ok'; readonly value: T }
  | { readonly kind: 'not-modified' }
  | { readonly kind: 'transient'; readonly reason: string; readonly retryAfterMs?: number | undefined }
  | { readonly kind: 'unauthorised'; readonly problem: Problem }
  | { readonly kind: 'failed'; readonly problem: Problem };

export interface KitApi {
  /** GET …/kits/{kitId}/manifest?date=…, with If-None-Match when a version is held. */
  manifest(date: string, heldVersion: string | undefined, timeoutMs: number): Promise<Outcome<Manifest>>;
  /** POST …/kits/{kitId}/sync with the batch. */
  sync(items: readonly SyncRecord[], timeoutMs: number): Promise<Outcome<SyncResponse>>;
}

export interface KitApiOptions {
  /** The fieldkit API, e.g. `http://127.0.0.1:3000/fieldkit`. */
  readonly baseUrl: string;
  readonly token: string;
  readonly kitId: string;
  readonly fetch?: typeof fetch;
  readonly now?: () => number;
}

const problemBody = z.object({
  code: z.string().optional(),
  title: z.string().optional(),
  detail: z.string().optional(),
  errors: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
});

/** The problem in a response (the status line's own words when the body is none). Never the body's raw text. */
async function problemOf(response: Response): Promise<Problem> {
  const text = await response.text().catch(() => '');
  let body: z.infer<typeof problemBody> = {};
  try {
    const parsed = problemBody.safeParse(JSON.parse(text));
    if (parsed.success) body = parsed.data;
  } catch {
    // not JSON: only the status is told
  }
  return {
    status: response.status,
    code: body.code,
    title: body.title ?? (response.statusText || `HTTP ${response.status}`),
    detail: body.detail,
    errors: body.errors,
  };
}

/** Why a request got no answer, in a line: the cause's code (ECONNREFUSED, ENOTFOUND…) or the timeout. */
function describeFailure(error: unknown, timeoutMs: number): string {
  if (error instanceof DOMException && (error.name === 'TimeoutError' || error.name === 'AbortError'))
    return `network: no answer within ${Math.round(timeoutMs / 100) / 10} s`;
  const cause = error instanceof Error ? error.cause : undefined;
  const code =
    typeof cause === 'object' && cause !== null && 'code' in cause && typeof cause.code === 'string'
      ? cause.code
      : undefined;
  const message = error instanceof Error ? error.message : String(error);
  return code ? `network: ${code}` : `network: ${message}`;
}

const RETRYABLE = new Set([408, 425, 429, 500, 502, 503, 504]);
/** 409s that ask to send the same request again (the visit changed under every one of the server's retries). */
const RETRYABLE_CODES = new Set(['too-many-writers']);

export function createKitApi(options: KitApiOptions): KitApi {
  const doFetch = options.fetch ?? globalThis.fetch;
  const now = options.now ?? Date.now;
  const base = `${options.baseUrl.replace(/\/+$/, '')}/kits/${encodeURIComponent(options.kitId)}`;
  const authorization = `Bearer ${options.token}`;

  async function request<T>(
    url: string,
    init: RequestInit,
    timeoutMs: number,
    schema: z.ZodType<T>,
  ): Promise<Outcome<T>> {
    let response: Response;
    try {
      response = await doFetch(url, { ...init, signal: AbortSignal.timeout(Math.max(1, timeoutMs)) });
    } catch (error) {
      return { kind: 'transient', reason: describeFailure(error, timeoutMs) };
    }
    if (response.status === 304) {
      await response.body?.cancel();
      return { kind: 'not-modified' };
    }
    if (response.ok) {
      let text: string;
      try {
        text = await response.text();
      } catch (error) {
        return { kind: 'transient', reason: describeFailure(error, timeoutMs) };
      }
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
      const parsed = schema.safeParse(json);
      if (parsed.success) return { kind: 'ok', value: parsed.data };
      const type = response.headers.get('content-type') ?? 'no content type';
      return {
        kind: 'transient',
        reason: `an answer that is not the fieldkit contract's (HTTP ${response.status}, ${type})`,
      };
    }
    const problem = await problemOf(response);
    if (RETRYABLE.has(response.status) || response.status >= 500 || RETRYABLE_CODES.has(problem.code ?? '')) {
      return {
        kind: 'transient',
        reason: `HTTP ${response.status} ${problem.title}${problem.detail ? `: ${problem.detail}` : ''}`,
        retryAfterMs: parseRetryAfter(response.headers.get('retry-after'), now()),
      };
    }
    if (response.status === 401 || response.status === 403) return { kind: 'unauthorised', problem };
    return { kind: 'failed', problem };
  }

  return {
    manifest: (date, heldVersion, timeoutMs) =>
      request(
        `${base}/manifest?date=${encodeURIComponent(date)}`,
        {
          method: 'GET',
          headers: {
            accept: 'application/json',
            authorization,
            ...(heldVersion === undefined ? {} : { 'if-none-match': `"${heldVersion}"` }),
          },
        },
        timeoutMs,
        manifestResponse,
      ),
    sync: (items, timeoutMs) =>
      request(
        `${base}/sync`,
        {
          method: 'POST',
          headers: { accept: 'application/json', 'content-type': 'application/json', authorization },
          body: JSON.stringify({ items }),
        },
        timeoutMs,
        syncResponse,
      ),
  };
}
