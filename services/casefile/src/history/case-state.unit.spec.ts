import type { StoredEvent } from '@buergerkoffer/shared/event-sourcing';
import { describe, expect, it } from 'vitest';
import { caseStateAt, evolveCase, initialCaseState } from './case-state.ts';

const caseId = '0190c6f0-0000-7000-8000-000000000001';
let position = 0;
const event = (
  stream: string,
  type: string,
  data: Record<string, unknown>,
  at = '2026-11-02T10:00:00Z',
): StoredEvent => ({
  id: `e-${++position}`,
  type,
  schemaVersion: 1,
  stream,
  revision: 0,
  position,
  recordedAt: new Date(at),
  data: data as StoredEvent['data'],
  metadata: { tenantId: 'bochum', caseId },
  hash: '',
  prevHash: null,
});
const opened = () =>
  event(`intakeCase-${caseId}`, 'CaseOpened', {
    caseId,
    reference: 'MB-2026-00001',
    requestedServices: ['id-card'],
    channel: 'phone-115',
    openedAt: '2026-11-02T10:00:00Z',
    applicant: { $pd: 'v1', sub: 's', iv: '', ct: '' },
  });
const prechecked = (outcome: string, ruleSetVersion: number) =>
  event(`eligibility-${caseId}`, 'AssessmentPrechecked', {
    caseId,
    precheck: { outcome, ruleSetVersion, rules: [{ rule: 'min-care-level', passed: true, detail: 'ok' }] },
    checkedAt: '2026-11-02T10:00:01Z',
  });
async function* from(events: StoredEvent[]) {
  yield* events;
}

describe('case state folded from the history', () => {
  it('is received, then awaiting a decision, then approved under the rule set of the decision', () => {
    let state = evolveCase(initialCaseState(caseId), opened());
    expect(state).toMatchObject({ status: 'received', reference: 'MB-2026-00001', intake: { status: 'open' } });
    state = evolveCase(state, prechecked('likely-eligible', 2));
    expect(state).toMatchObject({
      status: 'awaiting-decision',
      eligibility: { precheckOutcome: 'likely-eligible', ruleSetVersion: 2 },
    });
    state = evolveCase(
      state,
      event(`eligibility-${caseId}`, 'NecessityConfirmed', {
        caseId,
        ruleSetVersion: 2,
        decidedBy: 'officer-1',
        decidedAt: '2026-11-03T09:00:00Z',
        override: 'home visit seen',
      }),
    );
    expect(state.status).toBe('approved');
    expect(state.decisions).toEqual([
      expect.objectContaining({ outcome: 'approved', by: 'officer-1', ruleSetVersion: 2, override: 'home visit seen' }),
    ]);
  });

  it('keeps a standing decision through a re-check, and lets a withdrawal win over everything', () => {
    let state = [opened(), prechecked('needs-evidence', 1)].reduce(evolveCase, initialCaseState(caseId));
    state = evolveCase(
      state,
      event(`eligibility-${caseId}`, 'EvidenceRequested', { caseId, missing: 'care notice', decidedBy: 'o' }),
    );
    state = evolveCase(state, prechecked('likely-eligible', 1));
    expect(state.eligibility).toMatchObject({ status: 'evidence-requested', precheckOutcome: 'likely-eligible' });
    state = evolveCase(
      state,
      event(`intakeCase-${caseId}`, 'CaseWithdrawn', { caseId, withdrawnAt: '2026-11-04T00:00:00Z' }),
    );
    expect(state.status).toBe('withdrawn');
  });

  it('counts events it does not interpret by service, and access records apart', () => {
    const state = [
      event(`caseReference-bochum.2026`, 'CaseReferenceAssigned', { caseId, reference: 'MB-2026-00001' }),
      opened(),
      event(`visit-${caseId}`, 'VisitScheduled', { caseId }),
      event(`caseAccess-${caseId}`, 'CaseRecordAccessed', { caseId }),
    ].reduce(evolveCase, initialCaseState(caseId));
    expect(state).toMatchObject({ events: 4, accesses: 1, uninterpreted: { scheduling: 1 } });
    expect(state.uninterpreted.intake).toBeUndefined();
  });

  it('counts an event that does not carry what the audit contract reads, or has a newer schema, as uninterpreted', () => {
    const withoutReference = { caseId, requestedServices: ['id-card'], channel: 'phone-115', openedAt: '2026-11-02' };
    const state = [
      event(`intakeCase-${caseId}`, 'CaseOpened', withoutReference),
      { ...prechecked('likely-eligible', 1), schemaVersion: 2 },
    ].reduce(evolveCase, initialCaseState(caseId));
    expect(state).toMatchObject({
      events: 2,
      reference: null,
      intake: { status: 'none' },
      eligibility: { status: 'none' },
      uninterpreted: { intake: 1, eligibility: 1 },
    });
  });

  it('stops at a position or a time, and is absent before the first event', async () => {
    const history = [
      opened(),
      prechecked('likely-eligible', 1),
      event(
        `eligibility-${caseId}`,
        'CaseRejected',
        { caseId, ruleSetVersion: 1, reason: 'no' },
        '2026-11-05T00:00:00Z',
      ),
    ];
    const [first, second] = history;
    expect((await caseStateAt(caseId, from(history), { position: second?.position ?? 0 }))?.status).toBe(
      'awaiting-decision',
    );
    expect((await caseStateAt(caseId, from(history), { time: new Date('2026-11-04T00:00:00Z') }))?.status).toBe(
      'awaiting-decision',
    );
    expect((await caseStateAt(caseId, from(history)))?.status).toBe('rejected');
    expect(await caseStateAt(caseId, from(history), { position: (first?.position ?? 1) - 1 })).toBeUndefined();
  });
});
