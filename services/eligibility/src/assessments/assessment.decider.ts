/**
 * The necessity check. The pre-check suggests; the officer decides: approve (against a not-eligible pre-check only
 * with an override reason, recorded as such), reject with a reason (no legal entitlement, so the case ends — but a
 * rejection can be reopened once by a new decision with a reason), or ask for evidence. A withdrawn case closes its
 * assessment; decisions on a closed or already decided assessment are refused.
 */
import { type Decider, transitions } from '@buergerkoffer/shared/event-sourcing';
import type { AssessmentCommand } from './assessment.commands.ts';
import {
  AlreadyDecided,
  AssessmentClosedError,
  AssessmentNotFound,
  OverrideRequired,
  ReasonRequired,
} from './assessment.errors.ts';
import type { AssessmentEvent, PrecheckInputData, PrecheckResult } from './assessment.events.ts';

export type AssessmentStatus = 'awaiting-decision' | 'evidence-requested' | 'approved' | 'rejected' | 'closed';

export interface Decision {
  readonly outcome: 'approved' | 'rejected' | 'evidence-requested';
  readonly reason: string | null;
  readonly override: string | null;
  readonly decidedBy: string;
  readonly decidedAt: string;
}

export type AssessmentState =
  | { readonly status: 'none' }
  | {
      readonly status: AssessmentStatus;
      readonly caseId: string;
      readonly precheck: PrecheckResult;
      readonly input: PrecheckInputData;
      readonly applicantSubjectId: string | undefined;
      readonly decision: Decision | null;
      readonly reopened: number;
    };

export const toAssessmentStreamName = (caseId: string): string => `eligibility-${caseId}`;

/**
 * What an assessment accepts in each status: `decide` checks it, the view answers it as `allowedActions`. A new
 * pre-check and the closing are always accepted (after a decision a pre-check is history: nothing is recorded); a
 * rejection can be decided again (reopened) once.
 */
export const assessmentTransitions = transitions<AssessmentState, AssessmentCommand>(
  {
    none: ['RecordPrecheck', 'CloseAssessment'],
    'awaiting-decision': ['RecordPrecheck', 'DecideNecessity', 'CloseAssessment'],
    'evidence-requested': ['RecordPrecheck', 'DecideNecessity', 'CloseAssessment'],
    approved: ['RecordPrecheck', 'CloseAssessment'],
    rejected: ['RecordPrecheck', 'DecideNecessity', 'CloseAssessment'],
    closed: ['RecordPrecheck', 'CloseAssessment'],
  },
  {
    guard: (state, type) => !(type === 'DecideNecessity' && state.status === 'rejected' && state.reopened > 0),
    refuse: (state, command) => {
      switch (state.status) {
        case 'none':
          return new AssessmentNotFound(`case ${command.caseId} has no assessment yet`);
        case 'closed':
          return new AssessmentClosedError(`the assessment of case ${command.caseId} is closed (case withdrawn)`);
        case 'approved':
          return new AlreadyDecided(`case ${command.caseId} was approved already`);
        default:
          return new AlreadyDecided(`case ${command.caseId} was rejected after being reopened once`);
      }
    },
  },
);

const decided = (state: AssessmentState, decision: Decision, status: AssessmentStatus): AssessmentState =>
  state.status === 'none' ? state : { ...state, status, decision };

export const assessmentDecider: Decider<AssessmentCommand, AssessmentEvent, AssessmentState> = {
  initialState: () => ({ status: 'none' }),

  evolve(state, event) {
    switch (event.type) {
      case 'AssessmentPrechecked':
        return state.status === 'none'
          ? {
              status: 'awaiting-decision',
              caseId: event.data.caseId,
              precheck: event.data.precheck,
              input: event.data.input,
              applicantSubjectId: event.data.applicantSubjectId,
              decision: null,
              reopened: 0,
            }
          : { ...state, precheck: event.data.precheck, input: event.data.input };
      case 'EvidenceRequested':
        return decided(
          state,
          {
            outcome: 'evidence-requested',
            reason: event.data.missing,
            override: null,
            decidedBy: event.data.decidedBy,
            decidedAt: event.data.decidedAt,
          },
          'evidence-requested',
        );
      case 'NecessityConfirmed':
        return decided(
          state,
          {
            outcome: 'approved',
            reason: event.data.reason ?? null,
            override: event.data.override ?? null,
            decidedBy: event.data.decidedBy,
            decidedAt: event.data.decidedAt,
          },
          'approved',
        );
      case 'CaseRejected':
        return decided(
          state,
          {
            outcome: 'rejected',
            reason: event.data.reason,
            override: null,
            decidedBy: event.data.decidedBy,
            decidedAt: event.data.decidedAt,
          },
          'rejected',
        );
      case 'AssessmentReopened':
        return state.status === 'none'
          ? state
          : { ...state, status: 'awaiting-decision', reopened: state.reopened + 1 };
      case 'AssessmentClosed':
        return state.status === 'none' ? state : { ...state, status: 'closed' };
      default: {
        const unknown: never = event;
        return unknown;
      }
    }
  },

  decide(command, state) {
    assessmentTransitions.check(state, command);
    switch (command.type) {
      case 'RecordPrecheck':
        // A new pre-check (case opened or changed) while no decision stands; after a decision it is history.
        if (state.status !== 'none' && state.status !== 'awaiting-decision' && state.status !== 'evidence-requested')
          return [];
        return [
          {
            type: 'AssessmentPrechecked',
            data: {
              caseId: command.caseId,
              ...(command.applicantSubjectId ? { applicantSubjectId: command.applicantSubjectId } : {}),
              input: command.input,
              precheck: command.precheck,
              checkedAt: command.now,
            },
          },
        ];
      case 'CloseAssessment':
        if (state.status === 'closed') return [];
        return [
          {
            type: 'AssessmentClosed',
            data: {
              caseId: command.caseId,
              reason: command.reason,
              closedAt: command.now,
              ...(state.status !== 'none' && state.applicantSubjectId
                ? { applicantSubjectId: state.applicantSubjectId }
                : {}),
            },
          },
        ];
      case 'DecideNecessity': {
        // The table let it through: an assessment awaiting a decision, asking for evidence, or rejected once.
        if (state.status === 'none' || state.status === 'closed' || state.status === 'approved')
          throw assessmentTransitions.refusal(state, command);
        const reason = command.reason?.trim() || undefined;
        // Whom the decision is about: its reasons are sealed with the applicant's key (assessment.privacy.ts).
        const by = {
          decidedBy: command.decidedBy,
          decidedAt: command.now,
          ...(state.applicantSubjectId ? { applicantSubjectId: state.applicantSubjectId } : {}),
        };
        const reopen: AssessmentEvent[] = [];
        if (state.status === 'rejected') {
          if (!reason) throw new ReasonRequired('reopening a rejected case needs a reason');
          reopen.push({ type: 'AssessmentReopened', data: { caseId: command.caseId, reason, ...by } });
        }
        switch (command.outcome) {
          case 'approve': {
            const override = command.override?.trim() || undefined;
            if (state.precheck.outcome === 'not-eligible' && !override) {
              throw new OverrideRequired(
                'the pre-check found the case not eligible: approving needs an override reason',
              );
            }
            return [
              ...reopen,
              {
                type: 'NecessityConfirmed',
                data: {
                  caseId: command.caseId,
                  ruleSetVersion: state.precheck.ruleSetVersion,
                  ...(reason ? { reason } : {}),
                  ...(state.precheck.outcome === 'not-eligible' && override ? { override } : {}),
                  ...by,
                },
              },
            ];
          }
          case 'reject':
            if (!reason) throw new ReasonRequired('a rejection records its reason');
            return [
              ...reopen,
              {
                type: 'CaseRejected',
                data: { caseId: command.caseId, ruleSetVersion: state.precheck.ruleSetVersion, reason, ...by },
              },
            ];
          case 'request-evidence':
            if (!reason) throw new ReasonRequired('say which evidence is missing');
            return [...reopen, { type: 'EvidenceRequested', data: { caseId: command.caseId, missing: reason, ...by } }];
          default: {
            const unknown: never = command.outcome;
            return unknown;
          }
        }
      }
      default: {
        const unknown: never = command;
        return unknown;
      }
    }
  },
};
