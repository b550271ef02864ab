/**
 * One case's demand. Intake's opening and eligibility's approval arrive on two topics in either order: the demand is
 * to be planned once both are in. A rejection closes it (a rejection reopened and approved opens it again); a
 * withdrawal closes it for good. A booking claims it for its visit first (MarkPlanned, at the stream's expected
 * revision like a calendar's hold), so a case is never on two visits at once; it returns to the plan when that
 * booking is refused, the visit cancelled or the case taken off it. Every command is safe to repeat.
 */
import type { Decider } from '@buergerkoffer/shared/event-sourcing';
import { CasePlannedElsewhere, DemandNotPlannable } from './demand.errors.ts';
import type { DemandEvent } from './demand.events.ts';

export type DemandCommand =
  | {
      readonly type: 'RecordDemand';
      readonly caseId: string;
      readonly applicantSubjectId: string;
      readonly requestedServices: readonly string[];
      readonly groupRequestId?: string | undefined;
      readonly institutionId?: string | undefined;
      readonly now: string;
    }
  | {
      readonly type: 'ChangeServices';
      readonly caseId: string;
      readonly requestedServices: readonly string[];
      readonly now: string;
    }
  | { readonly type: 'Approve'; readonly caseId: string; readonly now: string }
  | {
      readonly type: 'Close';
      readonly caseId: string;
      readonly reason: 'case-withdrawn' | 'case-rejected';
      readonly now: string;
    }
  | { readonly type: 'MarkPlanned'; readonly caseId: string; readonly visitId: string; readonly now: string }
  | {
      readonly type: 'ReleaseFromVisit';
      readonly caseId: string;
      readonly visitId: string;
      readonly reason: 'visit-cancelled' | 'participant-removed' | 'booking-refused';
      readonly now: string;
    };

export type DemandStatus = 'awaiting-approval' | 'to-plan' | 'planned' | 'closed';

export interface DemandState {
  readonly caseId: string | undefined;
  readonly applicantSubjectId: string | undefined;
  readonly requestedServices: readonly string[] | undefined;
  readonly groupRequestId: string | undefined;
  readonly institutionId: string | undefined;
  readonly approved: boolean;
  readonly closed: 'case-withdrawn' | 'case-rejected' | null;
  readonly visitId: string | null;
}

export const toDemandStreamName = (caseId: string): string => `schedulingDemand-${caseId}`;

export function demandStatus(state: DemandState): DemandStatus {
  if (state.closed) return 'closed';
  if (state.visitId) return 'planned';
  return state.approved && state.requestedServices ? 'to-plan' : 'awaiting-approval';
}

export const demandDecider: Decider<DemandCommand, DemandEvent, DemandState> = {
  initialState: () => ({
    caseId: undefined,
    applicantSubjectId: undefined,
    requestedServices: undefined,
    groupRequestId: undefined,
    institutionId: undefined,
    approved: false,
    closed: null,
    visitId: null,
  }),

  evolve(state, event) {
    switch (event.type) {
      case 'DemandRecorded':
        return {
          ...state,
          caseId: event.data.caseId,
          applicantSubjectId: event.data.applicantSubjectId,
          requestedServices: event.data.requestedServices,
          groupRequestId: event.data.groupRequestId,
          institutionId: event.data.institutionId,
        };
      case 'DemandServicesChanged':
        return { ...state, requestedServices: event.data.requestedServices };
      case 'DemandApproved':
        return { ...state, caseId: event.data.caseId, approved: true, closed: null };
      case 'DemandClosed':
        return { ...state, caseId: event.data.caseId, closed: event.data.reason, approved: false };
      case 'DemandPlanned':
        return { ...state, visitId: event.data.visitId };
      case 'DemandReleased':
        return state.visitId === event.data.visitId ? { ...state, visitId: null } : state;
      default: {
        const unknown: never = event;
        return unknown;
      }
    }
  },

  decide(command, state) {
    switch (command.type) {
      case 'RecordDemand':
        if (state.requestedServices) return [];
        return [
          {
            type: 'DemandRecorded',
            data: {
              caseId: command.caseId,
              applicantSubjectId: command.applicantSubjectId,
              requestedServices: [...command.requestedServices],
              ...(command.groupRequestId ? { groupRequestId: command.groupRequestId } : {}),
              ...(command.institutionId ? { institutionId: command.institutionId } : {}),
              recordedAt: command.now,
            },
          },
        ];
      case 'ChangeServices':
        if (state.closed === 'case-withdrawn') return [];
        if (state.requestedServices?.join() === command.requestedServices.join()) return [];
        return [
          {
            type: 'DemandServicesChanged',
            data: { caseId: command.caseId, requestedServices: [...command.requestedServices], changedAt: command.now },
          },
        ];
      case 'Approve':
        // A withdrawn case stays off the plan; a rejection reopened and approved comes back.
        if (state.approved || state.closed === 'case-withdrawn') return [];
        return [{ type: 'DemandApproved', data: { caseId: command.caseId, approvedAt: command.now } }];
      case 'Close':
        if (state.closed === 'case-withdrawn' || state.closed === command.reason) return [];
        return [
          { type: 'DemandClosed', data: { caseId: command.caseId, reason: command.reason, closedAt: command.now } },
        ];
      case 'MarkPlanned':
        if (state.visitId === command.visitId) return [];
        if (state.visitId) throw new CasePlannedElsewhere(command.caseId, state.visitId);
        if (demandStatus(state) !== 'to-plan')
          throw new DemandNotPlannable(`case ${command.caseId} is ${demandStatus(state)}`);
        return [
          { type: 'DemandPlanned', data: { caseId: command.caseId, visitId: command.visitId, plannedAt: command.now } },
        ];
      case 'ReleaseFromVisit':
        if (state.visitId !== command.visitId) return [];
        return [
          {
            type: 'DemandReleased',
            data: { caseId: command.caseId, visitId: command.visitId, reason: command.reason, releasedAt: command.now },
          },
        ];
      default: {
        const unknown: never = command;
        return unknown;
      }
    }
  },
};
