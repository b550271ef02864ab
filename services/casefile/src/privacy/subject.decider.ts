/**
 * A data subject's rights over time (stream `privacySubject-<subjectId>`): legal holds placed and lifted, and the
 * erasure — refused while a hold stands (Art. 17(3)), recorded once per case of the subject, final.
 */
import {
  type ERASURE_GROUNDS,
  type LEGAL_HOLD_GROUNDS,
  type PrivacySubjectEvent,
  privacySubjectEvent,
} from '@buergerkoffer/shared/contracts';
import { type Decider, DomainError, eventCodec } from '@buergerkoffer/shared/event-sourcing';

export const subjectCodec = eventCodec(privacySubjectEvent);

export interface SubjectState {
  readonly hold: { readonly ground: (typeof LEGAL_HOLD_GROUNDS)[number]; readonly since: string } | null;
  readonly erased: { readonly at: string; readonly cases: readonly string[] } | null;
}

type By = { readonly subjectId: string; readonly by: string; readonly at: string; readonly reference?: string };
export type SubjectCommand =
  | ({ readonly type: 'PlaceLegalHold'; readonly ground: (typeof LEGAL_HOLD_GROUNDS)[number] } & By)
  | ({ readonly type: 'LiftLegalHold' } & By)
  | ({
      readonly type: 'EraseSubject';
      readonly ground: (typeof ERASURE_GROUNDS)[number];
      readonly caseIds: readonly string[];
    } & By);

export class LegalHoldActive extends DomainError {
  readonly code = 'legal-hold';
  readonly kind = 'illegal-state';
}
export class SubjectAlreadyErased extends DomainError {
  readonly code = 'subject-erased';
  readonly kind = 'illegal-state';
}
export class NoLegalHold extends DomainError {
  readonly code = 'no-legal-hold';
  readonly kind = 'illegal-state';
}

const by = (command: By) => ({
  subjectId: command.subjectId,
  by: command.by,
  at: command.at,
  ...(command.reference ? { reference: command.reference } : {}),
});

export const subjectDecider: Decider<SubjectCommand, PrivacySubjectEvent, SubjectState> = {
  initialState: () => ({ hold: null, erased: null }),
  evolve(state, event) {
    switch (event.type) {
      case 'LegalHoldPlaced':
        return { ...state, hold: { ground: event.data.ground, since: event.data.at } };
      case 'LegalHoldLifted':
        return { ...state, hold: null };
      case 'SubjectErased':
        return {
          ...state,
          erased: { at: state.erased?.at ?? event.data.at, cases: [...(state.erased?.cases ?? []), event.data.caseId] },
        };
      default: {
        const _unhandled: never = event;
        return state;
      }
    }
  },
  decide(command, state) {
    switch (command.type) {
      case 'PlaceLegalHold':
        if (state.erased) throw new SubjectAlreadyErased('the subject was erased: there is nothing left to hold');
        if (state.hold?.ground === command.ground) return [];
        return [{ type: 'LegalHoldPlaced', data: { ...by(command), ground: command.ground } }];
      case 'LiftLegalHold':
        if (!state.hold) throw new NoLegalHold('no legal hold applies to the subject');
        return [{ type: 'LegalHoldLifted', data: by(command) }];
      case 'EraseSubject': {
        if (state.hold) {
          throw new LegalHoldActive(
            `a legal hold (${state.hold.ground}, since ${state.hold.since}) applies: the data must be kept until it is lifted`,
          );
        }
        // Erased before: the cases recorded then stand; a case opened since (under the same, erased subject id
        // nothing could be sealed) is recorded too.
        const done = new Set(state.erased?.cases ?? []);
        return command.caseIds
          .filter((caseId) => !done.has(caseId))
          .map((caseId) => ({
            type: 'SubjectErased' as const,
            data: { ...by(command), caseId, ground: command.ground },
          }));
      }
      default: {
        const _unhandled: never = command;
        return [];
      }
    }
  },
};
