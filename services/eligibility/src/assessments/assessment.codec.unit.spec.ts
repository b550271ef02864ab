import type { AuditConformance } from '@buergerkoffer/shared/contracts';
import type { Json, StoredEvent } from '@buergerkoffer/shared/event-sourcing';
import { describe, expect, it } from 'vitest';
import { assessmentDecider } from './assessment.decider.ts';
import { type AssessmentEvent, assessmentCodec } from './assessment.events.ts';

// Casefile folds these events by the audit contracts: each must carry what they read (checked by the compiler).
const audited: AuditConformance<AssessmentEvent> = {
  AssessmentPrechecked: true,
  EvidenceRequested: true,
  NecessityConfirmed: true,
  CaseRejected: true,
  AssessmentReopened: true,
  AssessmentClosed: true,
};

const caseId = '0192f0c4-7c1a-7000-8000-0000000000aa';
const now = '2026-11-25T10:00:00.000Z';
const stored = (event: { type: string; data: Json }): StoredEvent => ({
  ...event,
  id: '0192f0c4-7c1a-7000-8000-000000000001',
  schemaVersion: 1,
  stream: `eligibility-${caseId}`,
  revision: 0,
  position: 1,
  recordedAt: new Date(now),
  metadata: { tenantId: 'bochum', caseId },
  hash: '',
  prevHash: null,
});
const sealed = { $pd: 'v1', sub: 'subject', iv: 'aXY=', ct: 'Y3Q=' };

describe("the assessment's codec", () => {
  const [prechecked] = assessmentDecider.decide(
    {
      type: 'RecordPrecheck',
      caseId,
      applicantSubjectId: 'subject',
      input: {
        requestedServices: ['id-card'],
        mobility: { careLevel: 4, disabilityMarks: [], permanentlyHomebound: true },
      },
      precheck: {
        outcome: 'likely-eligible',
        ruleSetVersion: 1,
        rules: [{ rule: 'min-care-level', passed: true, detail: '4' }],
      },
      now,
    },
    assessmentDecider.initialState(),
  );

  it('decodes what its decider writes, opened, and as stored with claims, outcome and rules sealed', () => {
    expect(Object.values(audited).every(Boolean)).toBe(true);
    if (prechecked?.type !== 'AssessmentPrechecked') throw new Error('no pre-check');
    expect(assessmentCodec.decode(stored(prechecked))).toEqual(prechecked);
    const asStored = {
      ...prechecked,
      data: {
        ...prechecked.data,
        input: { ...prechecked.data.input, mobility: sealed },
        precheck: { ...prechecked.data.precheck, outcome: sealed, rules: sealed },
      },
    };
    expect(assessmentCodec.sealed.decode(stored(asStored))).toEqual(asStored);
  });

  it('reads a pre-check stored in clear before issue 13 as stored; refuses one without its outcome', () => {
    if (prechecked?.type !== 'AssessmentPrechecked') throw new Error('no pre-check');
    // Relays and projections over the stored events meet these: they read, and publish none of it.
    expect(assessmentCodec.sealed.decode(stored(prechecked))).toEqual(prechecked);
    const { outcome: _outcome, ...withoutOutcome } = prechecked.data.precheck;
    expect(() =>
      assessmentCodec.decode(stored({ type: prechecked.type, data: { ...prechecked.data, precheck: withoutOutcome } })),
    ).toThrow('data.precheck.outcome (invalid_value)');
  });
});
