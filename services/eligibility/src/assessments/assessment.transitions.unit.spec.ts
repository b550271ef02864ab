/**
 * The assessment's transition table and its decider agree: in every status an assessment can be in, each kind of
 * command is refused exactly when `assessmentTransitions.allowed` leaves it out — a rejection reopened once
 * included — so the actions a view offers are the ones `decide` accepts.
 */
import { fold } from '@buergerkoffer/shared/event-sourcing';
import { describe, expect, it } from 'vitest';
import type { AssessmentCommand } from './assessment.commands.ts';
import { type AssessmentState, assessmentDecider, assessmentTransitions } from './assessment.decider.ts';
import { AlreadyDecided, AssessmentClosedError, AssessmentNotFound } from './assessment.errors.ts';
import type { AssessmentEvent } from './assessment.events.ts';

const caseId = '0192f0c4-7c1a-7000-8000-0000000000aa';
const now = '2026-11-25T10:00:00.000Z';
const precheck: AssessmentCommand = {
  type: 'RecordPrecheck',
  caseId,
  input: { requestedServices: ['id-card'] },
  precheck: { outcome: 'likely-eligible', ruleSetVersion: 1, rules: [] },
  now,
};
const decide = (outcome: 'approve' | 'reject' | 'request-evidence'): AssessmentCommand => ({
  type: 'DecideNecessity',
  caseId,
  outcome,
  reason: 'stated reason',
  decidedBy: 'officer-1',
  now,
});
const close: AssessmentCommand = { type: 'CloseAssessment', caseId, reason: 'case withdrawn', now };
const commands = [precheck, decide('approve'), close];

const stateAfter = (...applied: AssessmentCommand[]): AssessmentState => {
  const events: AssessmentEvent[] = [];
  for (const command of applied) events.push(...assessmentDecider.decide(command, fold(assessmentDecider, events)));
  return fold(assessmentDecider, events);
};
const states: [string, AssessmentState][] = [
  ['none', stateAfter()],
  ['awaiting-decision', stateAfter(precheck)],
  ['evidence-requested', stateAfter(precheck, decide('request-evidence'))],
  ['approved', stateAfter(precheck, decide('approve'))],
  ['rejected', stateAfter(precheck, decide('reject'))],
  ['rejected', stateAfter(precheck, decide('reject'), decide('reject'))], // reopened once, rejected again
  ['closed', stateAfter(precheck, close)],
];
const refusals = [AssessmentNotFound, AssessmentClosedError, AlreadyDecided];

describe('the assessment transition table', () => {
  for (const [index, [label, state]] of states.entries()) {
    it(`agrees with decide for an assessment that is ${label} (#${index})`, () => {
      expect(state.status).toBe(label);
      const allowed = assessmentTransitions.allowed(state);
      for (const command of commands) {
        let refused: unknown;
        try {
          assessmentDecider.decide(command, state);
        } catch (error) {
          refused = error;
        }
        if (allowed.includes(command.type)) expect(refused, command.type).toBeUndefined();
        else
          expect(
            refusals.some((type) => refused instanceof type),
            `${command.type}: ${String(refused)}`,
          ).toBe(true);
      }
    });
  }

  it('lets a rejection be decided again once, not twice', () => {
    expect(assessmentTransitions.allowed(stateAfter(precheck, decide('reject')))).toContain('DecideNecessity');
    expect(assessmentTransitions.allowed(stateAfter(precheck, decide('reject'), decide('reject')))).not.toContain(
      'DecideNecessity',
    );
  });
});
