import { describe, expect, it } from 'vitest';
import type { Outcome } from './kit-api.ts';
import { withRetry } from './retry.ts';

/** A clock that moves only when the loop sleeps or a request takes time. */
const fakeTime = (start = 1_000_000) => {
  let t = start;
  const sleeps: number[] = [];
  return {
    now: () => t,
    advance: (ms: number) => {
      t += ms;
    },
    sleep: async (ms: number) => {
      sleeps.push(ms);
      t += ms;
    },
    sleeps,
  };
};

describe('trying a request again until the deadline', () => {
  const unavailable: Outcome<string> = { kind: 'transient', reason: 'HTTP 503', retryAfterMs: 2000 };

  it('waits at least Retry-After between tries and returns the answer once there is one', async () => {
    const time = fakeTime();
    const answers: Outcome<string>[] = [unavailable, unavailable, { kind: 'ok', value: 'answered' }];
    const outcome = await withRetry(async () => answers.shift() ?? { kind: 'ok', value: 'late' }, {
      deadlineAt: time.now() + 60_000,
      requestTimeoutMs: 15_000,
      now: time.now,
      sleep: time.sleep,
      random: () => 0,
    });
    expect(outcome).toEqual({ kind: 'ok', value: 'answered' });
    expect(time.sleeps).toEqual([2000, 2000]);
  });

  it('gives each request at most what is left before the deadline', async () => {
    const time = fakeTime();
    const timeouts: number[] = [];
    await withRetry(
      async (timeoutMs) => {
        timeouts.push(timeoutMs);
        time.advance(timeoutMs);
        return { kind: 'transient', reason: 'no answer' };
      },
      { deadlineAt: time.now() + 20_000, requestTimeoutMs: 15_000, now: time.now, sleep: time.sleep, random: () => 0 },
    );
    expect(timeouts).toEqual([15_000, 5_000]);
  });

  it('stops at the deadline with the last reason, without a wait that would end after it', async () => {
    const time = fakeTime();
    const deadlineAt = time.now() + 5_000;
    const outcome = await withRetry(async () => ({ kind: 'transient', reason: 'network: ECONNREFUSED' }), {
      deadlineAt,
      requestTimeoutMs: 15_000,
      now: time.now,
      sleep: time.sleep,
      random: () => 0.999,
    });
    expect(outcome).toMatchObject({ kind: 'deadline', reason: 'network: ECONNREFUSED' });
    expect(time.now()).toBeLessThanOrEqual(deadlineAt);
  });

  it('gives up at once when the server asks to wait past the deadline', async () => {
    const time = fakeTime();
    const outcome = await withRetry(async () => ({ kind: 'transient', reason: 'HTTP 429', retryAfterMs: 120_000 }), {
      deadlineAt: time.now() + 60_000,
      requestTimeoutMs: 15_000,
      now: time.now,
      sleep: time.sleep,
      random: () => 0,
    });
    expect(outcome).toMatchObject({ kind: 'deadline', attempts: 1 });
    expect(outcome.kind === 'deadline' && outcome.reason).toContain('asked to wait 120 s');
    expect(time.sleeps).toEqual([]);
  });

  it('does not try again after a refusal (401/403, other 4xx)', async () => {
    const time = fakeTime();
    let tries = 0;
    const outcome = await withRetry(
      async () => {
        tries++;
        return { kind: 'unauthorised', problem: { status: 401, title: 'Unauthorized' } };
      },
      { deadlineAt: time.now() + 60_000, requestTimeoutMs: 15_000, now: time.now, sleep: time.sleep, random: () => 0 },
    );
    expect(outcome.kind).toBe('unauthorised');
    expect(tries).toBe(1);
  });
});
