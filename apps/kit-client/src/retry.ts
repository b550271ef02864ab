/**
 * Trying a request again until it gets an answer or the deadline comes: the same request each time (a sync batch is
 * idempotent on the server: a re-sent item is answered as the first time), waits from backoff.ts, each request given
 * at most what is left of the time. Clock, sleep and random draw come in, so the loop is tested without waiting.
 */
import { type BackoffPolicy, DEFAULT_BACKOFF, nextDelay } from './backoff.ts';
import type { Outcome } from './kit-api.ts';

export interface RetryOptions {
  /** The instant (ms since the epoch) after which no request is started and no wait ends. */
  readonly deadlineAt: number;
  /** The longest one request may take, in ms. */
  readonly requestTimeoutMs: number;
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<void>;
  readonly random: () => number;
  readonly policy?: BackoffPolicy;
  /** Told of each failed try before the wait that follows it. */
  readonly onRetry?: (reason: string, delayMs: number, attempt: number) => void | Promise<void>;
}

/** The request's final outcome, or `deadline` with the last reason it failed. */
export type RetryOutcome<T> =
  | Exclude<Outcome<T>, { kind: 'transient' }>
  | { readonly kind: 'deadline'; readonly reason: string; readonly attempts: number };

export async function withRetry<T>(
  attempt: (timeoutMs: number) => Promise<Outcome<T>>,
  options: RetryOptions,
): Promise<RetryOutcome<T>> {
  let reason = 'the deadline had passed before the first try';
  for (let tries = 0; ; tries++) {
    const left = options.deadlineAt - options.now();
    if (left <= 0) return { kind: 'deadline', reason, attempts: tries };
    const outcome = await attempt(Math.min(options.requestTimeoutMs, left));
    if (outcome.kind !== 'transient') return outcome;
    reason = outcome.reason;
    const delay = nextDelay(tries, outcome.retryAfterMs, options.random, options.policy ?? DEFAULT_BACKOFF);
    if (options.now() + delay >= options.deadlineAt) {
      const asked =
        outcome.retryAfterMs === undefined ? '' : ` (asked to wait ${Math.ceil(outcome.retryAfterMs / 1000)} s)`;
      return { kind: 'deadline', reason: `${reason}${asked}`, attempts: tries + 1 };
    }
    await options.onRetry?.(reason, delay, tries + 1);
    await options.sleep(delay);
  }
}
