import { DeciderSpecification } from '@buergerkoffer/shared/testing';
import { describe, expect, it } from 'vitest';
import { assessmentDecider, toAssessmentStreamName } from './assessment.decider.ts';
import {
  AlreadyDecided,
  AssessmentClosedError,
  AssessmentNotFound,
  OverrideRequired,
  ReasonRequired,
} from './assessment.errors.ts';
import type { AssessmentEvent, PrecheckResult } from './assessment.events.ts';

const spec = DeciderSpecification.for(assessmentDecider);
const caseId = '0192f0c4-7c1a-7000-8000-0000000000aa';
const now = '2026-11-25T10:00:00.000Z';
const later = '2026-11-26T10:00:00.000Z';
const officer = 'officer-1';
const check = (outcome: PrecheckResult['outcome']): PrecheckResult => ({
  outcome,
  ruleSetVersion: 0,
  rules: [{ rule: 'min-care-level', passed: outcome === 'likely-eligible', detail: 'care level 4' }],
});
const input = {
  requestedServices: ['id-card'],
  mobility: { careLevel: 4, disabilityMarks: [], permanentlyHomebound: true },
};
const prechecked = (outcome: PrecheckResult['outcome']): AssessmentEvent => ({
  type: 'AssessmentPrechecked',
  data: { caseId, input, precheck: check(outcome), checkedAt: now },
});
const decide = (
  outcome: 'approve' | 'reject' | 'request-evidence',
  extra: { reason?: string; override?: string } = {},
) => ({
  type: 'DecideNecessity' as const,
  caseId,
  outcome,
  decidedBy: officer,
  now: later,
  ...extra,
});
const rejected: AssessmentEvent = {
  type: 'CaseRejected',
  data: { caseId, ruleSetVersion: 0, reason: 'not necessary', decidedBy: officer, decidedAt: later },
};

describe('the assessment of a case', () => {
  it('lives in eligibility-<caseId>', () => expect(toAssessmentStreamName(caseId)).toBe(`eligibility-${caseId}`));

  describe('without a pre-check', () => {
    it('records the first pre-check and awaits a decision', () => {
      spec
        .given([])
        .when({ type: 'RecordPrecheck', caseId, input, precheck: check('likely-eligible'), now })
        .then([prechecked('likely-eligible')]);
      spec
        .given([prechecked('likely-eligible')])
        .when(decide('approve'))
        .thenState({ status: 'approved' });
    });
    it('cannot be decided', () => spec.given([]).when(decide('approve')).thenThrows(AssessmentNotFound));
  });

  describe('awaiting a decision', () => {
    it('is approved by the officer', () => {
      spec
        .given([prechecked('likely-eligible')])
        .when(decide('approve'))
        .then([
          { type: 'NecessityConfirmed', data: { caseId, ruleSetVersion: 0, decidedBy: officer, decidedAt: later } },
        ]);
    });
    it('needs an override reason to approve against a not-eligible pre-check, and records it as an override', () => {
      spec
        .given([prechecked('not-eligible')])
        .when(decide('approve'))
        .thenThrows(OverrideRequired);
      spec
        .given([prechecked('not-eligible')])
        .when(decide('approve', { override: 'bedridden after a stroke, care level pending' }))
        .then([
          {
            type: 'NecessityConfirmed',
            data: {
              caseId,
              ruleSetVersion: 0,
              override: 'bedridden after a stroke, care level pending',
              decidedBy: officer,
              decidedAt: later,
            },
          },
        ]);
    });
    it('is rejected only with a reason', () => {
      spec
        .given([prechecked('likely-eligible')])
        .when(decide('reject'))
        .thenThrows(ReasonRequired);
      spec
        .given([prechecked('likely-eligible')])
        .when(decide('reject', { reason: 'not necessary' }))
        .then([rejected]);
    });
    it('asks for evidence, saying what is missing, and awaits it', () => {
      spec
        .given([prechecked('needs-evidence')])
        .when(decide('request-evidence', { reason: 'care-level notice' }))
        .then([
          {
            type: 'EvidenceRequested',
            data: { caseId, missing: 'care-level notice', decidedBy: officer, decidedAt: later },
          },
        ]);
    });
    it('takes a new pre-check when the case changes', () => {
      spec
        .given([prechecked('not-eligible')])
        .when({ type: 'RecordPrecheck', caseId, input, precheck: check('likely-eligible'), now: later })
        .thenState({
          status: 'awaiting-decision',
          precheck: check('likely-eligible'),
        });
    });
  });

  describe('decided', () => {
    const approved: AssessmentEvent = {
      type: 'NecessityConfirmed',
      data: { caseId, ruleSetVersion: 0, decidedBy: officer, decidedAt: later },
    };
    it('refuses a second decision with 409 semantics', () => {
      spec
        .given([prechecked('likely-eligible'), approved])
        .when(decide('approve'))
        .thenThrows(AlreadyDecided);
    });
    it('keeps its decision when the case changes later', () => {
      spec
        .given([prechecked('likely-eligible'), approved])
        .when({ type: 'RecordPrecheck', caseId, input, precheck: check('not-eligible'), now })
        .then([]);
    });
    it('reopens a rejection once, by a new decision with a reason; not twice', () => {
      const { events } = spec
        .given([prechecked('likely-eligible'), rejected])
        .when(decide('approve', { reason: 'new care-level notice' }))
        .decide();
      expect(events.map((e) => e.type)).toEqual(['AssessmentReopened', 'NecessityConfirmed']);
      spec
        .given([prechecked('likely-eligible'), rejected])
        .when(decide('approve'))
        .thenThrows(ReasonRequired);
      const reopenedAndRejected: AssessmentEvent[] = [
        prechecked('likely-eligible'),
        rejected,
        { type: 'AssessmentReopened', data: { caseId, reason: 'x', decidedBy: officer, decidedAt: later } },
        rejected,
      ];
      spec
        .given(reopenedAndRejected)
        .when(decide('approve', { reason: 'again' }))
        .thenThrows(AlreadyDecided);
    });
  });

  describe('of a withdrawn case', () => {
    const closed: AssessmentEvent = {
      type: 'AssessmentClosed',
      data: { caseId, reason: 'case withdrawn', closedAt: later },
    };
    it('is closed once, and refuses decisions with a clear reason', () => {
      spec
        .given([prechecked('likely-eligible')])
        .when({ type: 'CloseAssessment', caseId, reason: 'case withdrawn', now: later })
        .then([closed]);
      spec
        .given([prechecked('likely-eligible'), closed])
        .when({ type: 'CloseAssessment', caseId, reason: 'again', now })
        .then([]);
      spec
        .given([prechecked('likely-eligible'), closed])
        .when(decide('approve'))
        .thenThrows(AssessmentClosedError, /withdrawn/);
    });
  });
});
