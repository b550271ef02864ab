/**
 * The decider: one shape for every aggregate (style.md). Pure: time, ids and reference data come in the command.
 *   initialState()            the state before any event
 *   evolve(state, event)      the state after one event
 *   decide(command, state)    the events a command causes, or a DomainError
 */
export interface DomainEvent {
  readonly type: string;
  readonly data: unknown;
}

export interface Decider<Command, Event extends DomainEvent, State> {
  initialState(): State;
  evolve(state: State, event: Event): State;
  decide(command: Command, state: State): readonly Event[];
}

/** What kind of refusal a domain error is; the HTTP layer maps kinds to statuses (illegal-state → 409, …). */
export type DomainErrorKind = 'illegal-state' | 'not-found' | 'validation' | 'forbidden';

/** Base of the errors deciders throw: a stable code, a kind, and no HTTP status. */
export abstract class DomainError extends Error {
  abstract readonly code: string;
  abstract readonly kind: DomainErrorKind;
}

export const fold = <Event extends DomainEvent, State>(
  decider: Pick<Decider<unknown, Event, State>, 'initialState' | 'evolve'>,
  events: readonly Event[],
): State => events.reduce(decider.evolve, decider.initialState());
