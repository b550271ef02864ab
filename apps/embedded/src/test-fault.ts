/**
 * A TEST FAULT HOOK, off by default: only when `BK_TEST_FAULT=kill-after-case-opened` is set does the embedded
 * process SIGKILL itself right after the store has committed a `CaseOpened` — before the request's Idempotency-Key
 * is completed and before any answer leaves — so a test can show that the retry after a restart finds that case
 * (open-case-crash.e2e.spec.ts). Unset (as in production), the store is handed on untouched.
 */
import type { EventStore } from '@buergerkoffer/shared/event-sourcing';

export const TEST_FAULTS = ['kill-after-case-opened'] as const;
export type TestFault = (typeof TEST_FAULTS)[number];

export function withTestFault(store: EventStore, fault: TestFault | undefined): EventStore {
  if (fault === undefined) return store;
  return new Proxy(store, {
    get(target, property, receiver) {
      if (property !== 'append') {
        const value = Reflect.get(target, property, receiver);
        return typeof value === 'function' ? value.bind(target) : value;
      }
      const append: EventStore['append'] = async (stream, events, expected) => {
        const result = await target.append(stream, events, expected);
        if (events.some((event) => event.type === 'CaseOpened')) process.kill(process.pid, 'SIGKILL');
        return result;
      };
      return append;
    },
  });
}
