import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { backoffCeiling, DEFAULT_BACKOFF, jitteredBackoff, nextDelay, parseRetryAfter } from './backoff.ts';

describe('backoff with full jitter (base 250 ms, cap 10 s)', () => {
  it('stays within [0, min(cap, base·2^n)] for every attempt and draw', () => {
    fc.assert(
      fc.property(fc.nat(2_000), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (attempt, draw) => {
        const delay = jitteredBackoff(attempt, () => draw);
        expect(delay).toBeGreaterThanOrEqual(0);
        expect(delay).toBeLessThanOrEqual(Math.min(DEFAULT_BACKOFF.capMs, DEFAULT_BACKOFF.baseMs * 2 ** attempt));
      }),
    );
  });

  it('doubles its ceiling per attempt up to the cap', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 30].map((n) => backoffCeiling(n))).toEqual([
      250, 500, 1000, 2000, 4000, 8000, 10_000, 10_000,
    ]);
  });

  it('spreads the waits over the whole range (full jitter, not equal jitter)', () => {
    expect(jitteredBackoff(3, () => 0)).toBe(0);
    expect(jitteredBackoff(3, () => 0.5)).toBe(1000);
    expect(jitteredBackoff(3, () => 0.999_999)).toBe(1999);
  });
});

describe('Retry-After', () => {
  const now = Date.parse('2026-06-03T08:00:00Z');

  it('is read as delay-seconds or as an HTTP-date', () => {
    expect(parseRetryAfter('7', now)).toBe(7000);
    expect(parseRetryAfter('Wed, 03 Jun 2026 08:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Wed, 03 Jun 2026 07:00:00 GMT', now)).toBe(0);
  });

  it('is ignored when absent or unreadable', () => {
    expect(parseRetryAfter(null, now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter('-5', now)).toBeUndefined();
    expect(parseRetryAfter('1.5', now)).toBeUndefined();
  });

  it('is honoured: the wait is never shorter than the server asked, even beyond the cap', () => {
    fc.assert(
      fc.property(
        fc.nat(50),
        fc.nat(120_000),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (n, asked, draw) => {
          expect(nextDelay(n, asked, () => draw)).toBeGreaterThanOrEqual(asked);
        },
      ),
    );
    expect(nextDelay(0, 30_000, () => 0.5)).toBe(30_000);
  });
});
