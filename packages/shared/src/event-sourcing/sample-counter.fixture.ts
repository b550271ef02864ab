/** A tiny decider for the shared tests: a tally of items that can be closed. */
import { type Decider, DomainError } from './decider.ts';

export type TallyEvent =
  | { type: 'ItemCounted'; data: { tallyId: string; item: string; countedAt: string } }
  | { type: 'TallyClosed'; data: { tallyId: string; closedAt: string } };
export type TallyCommand =
  | { type: 'CountItem'; tallyId: string; item: string; now: string }
  | { type: 'CloseTally'; tallyId: string; now: string };
export type TallyState =
  | { status: 'empty' }
  | { status: 'open'; items: string[] }
  | { status: 'closed'; items: string[] };

export class TallyClosedError extends DomainError {
  readonly code = 'tally-closed';
  readonly kind = 'illegal-state' as const;
}

export const tallyDecider: Decider<TallyCommand, TallyEvent, TallyState> = {
  initialState: () => ({ status: 'empty' }),
  evolve(state, event) {
    switch (event.type) {
      case 'ItemCounted':
        return { status: 'open', items: [...(state.status === 'empty' ? [] : state.items), event.data.item] };
      case 'TallyClosed':
        return { status: 'closed', items: state.status === 'empty' ? [] : state.items };
      default: {
        const unknown: never = event;
        return unknown;
      }
    }
  },
  decide(command, state) {
    if (state.status === 'closed') throw new TallyClosedError(`tally ${command.tallyId} is closed`);
    switch (command.type) {
      case 'CountItem':
        return [
          { type: 'ItemCounted', data: { tallyId: command.tallyId, item: command.item, countedAt: command.now } },
        ];
      case 'CloseTally':
        return state.status === 'empty'
          ? []
          : [{ type: 'TallyClosed', data: { tallyId: command.tallyId, closedAt: command.now } }];
      default: {
        const unknown: never = command;
        return unknown;
      }
    }
  },
};
