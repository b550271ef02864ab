/**
 * How long the kit waits before it sends a batch again: exponential backoff with full jitter (each wait drawn
 * uniformly from [0, min(cap, base·2^attempt)], so kits that lost reception together do not come back together),
 * and never sooner than the server asked with `Retry-After`. Pure: the random draw and the clock come in.
 */

export interface BackoffPolicy {
  /** The ceiling of the first wait (attempt 0), in ms. */
  readonly baseMs: number;
  /** The highest ceiling any wait may have, in ms. */
  readonly capMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 250, capMs: 10_000 };

/** The ceiling of the wait after the `attempt`-th failure in a row (0-based): min(cap, base·2^attempt). */
export function backoffCeiling(attempt: number, policy: BackoffPolicy = DEFAULT_BACKOFF): number {
  // 2^attempt overflows to Infinity for large attempts, which min() turns into the cap.
  return Math.min(policy.capMs, policy.baseMs * 2 ** Math.max(0, attempt));
}

/** Full jitter: a wait drawn from [0, ceiling]; `random` returns a number in [0, 1) (Math.random). */
export function jitteredBackoff(attempt: number, random: () => number, policy: BackoffPolicy = DEFAULT_BACKOFF) {
  const draw = Math.min(Math.max(random(), 0), 1);
  return Math.floor(draw * backoffCeiling(attempt, policy));
}

/**
 * A `Retry-After` header (RFC 9110 §10.2.3) as milliseconds from `nowMs`: delay-seconds or an HTTP-date (a date in
 * the past is 0). Undefined when absent or unreadable.
 */
export function parseRetryAfter(value: string | null | undefined, nowMs: number): number | undefined {
  if (value === null || value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  if (!/[A-Za-z]/.test(text)) return undefined; // "-5", "1.5": not delay-seconds, not a date
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

/** The wait before the next try: the jittered backoff, but at least what the server asked for. */
export function nextDelay(
  attempt: number,
  retryAfterMs: number | undefined,
  random: () => number,
  policy: BackoffPolicy = DEFAULT_BACKOFF,
): number {
  return Math.max(jitteredBackoff(attempt, random, policy), retryAfterMs ?? 0);
}
