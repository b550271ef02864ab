/**
 * Given/When/Then for deciders (style.md): `spec.given([events]).when(command).then([events])` or `.thenThrows(…)`.
 * Runs the pure decider alone: no store, no clock.
 */
import { expect } from 'vitest';
import { type Decider, type DomainEvent, fold } from '../event-sourcing/decider.ts';

type ErrorMatcher = (new (...args: never[]) => Error) | ((error: unknown) => boolean);

export interface Then<Event, State> {
  then(expected: readonly Event[]): void;
  /** The decision without asserting it, for custom checks. */
  decide(): { events: readonly Event[]; state: State };
  thenThrows(matcher: ErrorMatcher, message?: string | RegExp): void;
  thenState(expected: Partial<State> | ((state: State) => void)): void;
}

export const DeciderSpecification = {
  for<Command, Event extends DomainEvent, State>(decider: Decider<Command, Event, State>) {
    return {
      given(history: readonly Event[]) {
        return {
          when(command: Command): Then<Event, State> {
            const run = () => {
              const state = fold(decider, history);
              const events = decider.decide(command, state);
              return { events, state: events.reduce(decider.evolve, state) };
            };
            return {
              decide: run,
              // biome-ignore lint/suspicious/noThenProperty: given/when/then is the house style's specification API (style.md 15); awaiting it would fail the assertion loudly, never pass silently.
              then(expected) {
                expect(run().events).toEqual(expected);
              },
              thenThrows(matcher, message) {
                let thrown: unknown;
                try {
                  run();
                } catch (error) {
                  thrown = error;
                }
                expect(thrown, 'the command should have been refused').toBeDefined();
                if (matcher.prototype instanceof Error || matcher === Error) {
                  expect(thrown).toBeInstanceOf(matcher);
                } else {
                  expect((matcher as (error: unknown) => boolean)(thrown)).toBe(true);
                }
                if (message !== undefined) expect((thrown as Error).message).toMatch(message);
              },
              thenState(expected) {
                const { state } = run();
                if (typeof expected === 'function') expected(state);
                else expect(state).toMatchObject(expected);
              },
            };
          },
        };
      },
    };
  },
};
