/**
 * The intake case: opened once for one applicant (the beneficiary of every service), its services changed, evidence
 * references attached, its contact person updated, withdrawn with a reason. Pure: no I/O, no clock.
 */
import { type Decider, transitions } from '@buergerkoffer/shared/event-sourcing';
import type { CaseCommand } from './case.commands.ts';
import {
  CaseAlreadyOpened,
  CaseNotFound,
  CaseWithdrawnError,
  DuplicateServices,
  InvalidServiceChange,
} from './case.errors.ts';
import type { CaseEvent, CaseOpened, ContactPerson, ServiceIdType } from './case.events.ts';

export type CaseState =
  | { readonly status: 'none' }
  | {
      readonly status: 'open' | 'withdrawn';
      readonly caseId: string;
      readonly subjectId: string;
      readonly opened: CaseOpened['data'];
      readonly requestedServices: readonly ServiceIdType[];
      readonly contactPerson: ContactPerson | null;
      readonly evidenceIds: readonly string[];
      readonly withdrawnReason?: string;
    };

export const toCaseStreamName = (caseId: string): string => `intakeCase-${caseId}`;

const duplicates = (ids: readonly string[]) => ids.filter((id, index) => ids.indexOf(id) !== index);

const refuse = (state: CaseState, command: CaseCommand) =>
  command.type === 'OpenCase'
    ? new CaseAlreadyOpened(`case ${command.caseId} is already open`)
    : state.status === 'none'
      ? new CaseNotFound(`case ${command.caseId} does not exist`)
      : new CaseWithdrawnError(`case ${command.caseId} was withdrawn`);

/** What a case accepts in each status: `decide` checks it, views answer it as `allowedActions`. */
export const caseTransitions = transitions<CaseState, CaseCommand>(
  {
    none: ['OpenCase'],
    open: ['ChangeServices', 'AttachEvidence', 'UpdateContactPerson', 'WithdrawCase'],
    withdrawn: [],
  },
  { refuse },
);

export const caseDecider: Decider<CaseCommand, CaseEvent, CaseState> = {
  initialState: () => ({ status: 'none' }),

  evolve(state, event) {
    switch (event.type) {
      case 'CaseOpened':
        return {
          status: 'open',
          caseId: event.data.caseId,
          subjectId: event.data.applicant.subjectId,
          opened: event.data,
          requestedServices: event.data.requestedServices,
          contactPerson: event.data.contactPerson ?? null,
          evidenceIds: [],
        };
      case 'ServicesChanged':
        return state.status === 'none' ? state : { ...state, requestedServices: event.data.requestedServices };
      case 'EvidenceAttached':
        return state.status === 'none'
          ? state
          : { ...state, evidenceIds: [...state.evidenceIds, event.data.evidenceId] };
      case 'ContactPersonUpdated':
        return state.status === 'none' ? state : { ...state, contactPerson: event.data.contactPerson };
      case 'CaseWithdrawn':
        return state.status === 'none' ? state : { ...state, status: 'withdrawn', withdrawnReason: event.data.reason };
      default: {
        const unknown: never = event;
        return unknown;
      }
    }
  },

  decide(command, state) {
    caseTransitions.check(state, command);
    if (command.type === 'OpenCase') {
      const twice = duplicates(command.requestedServices);
      if (twice.length > 0) throw new DuplicateServices(`requested more than once: ${[...new Set(twice)].join(', ')}`);
      return [
        {
          type: 'CaseOpened',
          data: {
            caseId: command.caseId,
            reference: command.reference,
            applicant: command.applicant,
            requestedServices: [...command.requestedServices],
            mobility: command.mobility,
            channel: command.channel,
            ...(command.contactPerson ? { contactPerson: command.contactPerson } : {}),
            ...(command.groupRequestId ? { groupRequestId: command.groupRequestId } : {}),
            ...(command.institutionId ? { institutionId: command.institutionId } : {}),
            ...(command.institutionKind ? { institutionKind: command.institutionKind } : {}),
            possibleDuplicateOf: [...command.possibleDuplicateOf],
            openedAt: command.now,
          },
        },
      ];
    }
    // The table accepts changes of an open case only.
    if (state.status !== 'open') throw caseTransitions.refusal(state, command);

    switch (command.type) {
      case 'ChangeServices': {
        const twice = duplicates([...command.add, ...command.remove]);
        if (twice.length > 0) throw new DuplicateServices(`named more than once: ${[...new Set(twice)].join(', ')}`);
        const missing = command.remove.filter((id) => !state.requestedServices.includes(id));
        if (missing.length > 0)
          throw new InvalidServiceChange(`not requested, cannot be removed: ${missing.join(', ')}`);
        const added = command.add.filter((id) => !state.requestedServices.includes(id));
        const requested = [...state.requestedServices.filter((id) => !command.remove.includes(id)), ...added];
        if (requested.length === 0)
          throw new InvalidServiceChange('a case needs at least one service; withdraw it instead');
        if (added.length === 0 && command.remove.length === 0) return [];
        return [
          {
            type: 'ServicesChanged',
            data: {
              caseId: command.caseId,
              added,
              removed: [...command.remove],
              requestedServices: requested,
              changedAt: command.now,
            },
          },
        ];
      }
      case 'AttachEvidence':
        if (state.evidenceIds.includes(command.evidenceId)) return [];
        return [
          {
            type: 'EvidenceAttached',
            data: {
              caseId: command.caseId,
              evidenceId: command.evidenceId,
              kind: command.kind,
              subjectId: state.subjectId,
              documentReference: command.documentReference,
              checksum: command.checksum,
              attachedAt: command.now,
            },
          },
        ];
      case 'UpdateContactPerson':
        if (JSON.stringify(state.contactPerson) === JSON.stringify(command.contactPerson)) return [];
        return [
          {
            type: 'ContactPersonUpdated',
            data: {
              caseId: command.caseId,
              subjectId: state.subjectId,
              contactPerson: command.contactPerson,
              updatedAt: command.now,
            },
          },
        ];
      case 'WithdrawCase':
        return [
          {
            type: 'CaseWithdrawn',
            data: {
              caseId: command.caseId,
              subjectId: state.subjectId,
              reason: command.reason,
              withdrawnAt: command.now,
            },
          },
        ];
      default: {
        const unknown: never = command;
        return unknown;
      }
    }
  },
};
