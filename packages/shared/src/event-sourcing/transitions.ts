/**
 * Transitions as data: an aggregate's allowed commands per status, in one table. `decide` checks a command against
 * it first (and refuses with the aggregate's own domain error), and views answer `allowedActions` from the same
 * table, so a staff UI shows only what the aggregate would accept — the two can never disagree.
 *
 * A status-level table cannot say everything (e.g. "a rejection can be reopened once"): an optional guard refines
 * it per state, and is applied by both `check` and `allowed`.
 */
import type { DomainError } from './decider.ts';

export interface Transitions<State extends { readonly status: string }, Command extends { readonly type: string }> {
  /** The table: for each status, the command types it accepts. */
  readonly table: { readonly [S in State['status']]: readonly Command['type'][] };
  /** The command types the state accepts (the table, refined by the guard), in the table's order. */
  allowed(state: State): Command['type'][];
  /** Throws the aggregate's refusal when the state does not accept the command. */
  check(state: State, command: Command): void;
  /** The aggregate's refusal of a command in a state (for a branch the table already excluded, to narrow types). */
  refusal(state: State, command: Command): DomainError;
}

export interface TransitionsOptions<
  State extends { readonly status: string },
  Command extends { readonly type: string },
> {
  /** The domain error for a command the state does not accept. */
  readonly refuse: (state: State, command: Command) => DomainError;
  /** Refines the table for one state: false takes the command type out (and `refuse` answers it). */
  readonly guard?: (state: State, type: Command['type']) => boolean;
}

export function transitions<State extends { readonly status: string }, Command extends { readonly type: string }>(
  table: { readonly [S in State['status']]: readonly Command['type'][] },
  options: TransitionsOptions<State, Command>,
): Transitions<State, Command> {
  const accepts = (state: State, type: Command['type']) =>
    (table[state.status as State['status']] ?? []).includes(type) && (options.guard?.(state, type) ?? true);
  return {
    table,
    allowed: (state) => (table[state.status as State['status']] ?? []).filter((type) => accepts(state, type)),
    check(state, command) {
      if (!accepts(state, command.type)) throw options.refuse(state, command);
    },
    refusal: options.refuse,
  };
}
