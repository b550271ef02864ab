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

describe('a case’s visits folded from the history', () => {
  const otherCase = '0190c6f0-0000-7000-8000-000000000002';
  const hour = (date: string, h: number) => `${date}T${String(h).padStart(2, '0')}:00:00.000Z`;
  const slot = (date: string, from: number) => ({
    kitId: 'kit-1',
    staffIds: ['staff-1', 'staff-2'],
    date,
    start: hour(date, from),
    end: hour(date, from + 1),
    bufferMinutes: 15,
  });
  const visitEvent = (visitId: string, type: string, data: Record<string, unknown> = {}) =>
    event(`visit-${visitId}`, type, { visitId, ...data });
  const started = (visitId: string, at = slot('2026-12-07', 9)) =>
    visitEvent(visitId, 'VisitBookingStarted', {
      holdId: `${visitId}:1`,
      ...at,
      participants: [
        { caseId, services: ['id-card', 'registration'] },
        { caseId: otherCase, services: ['passport'] },
      ],
      place: { kind: 'home', address: '[withheld]' },
      requestedBy: 'scheduler-1',
      requestedAt: '2026-11-20T08:00:00.000Z',
    });
  const fold = (events: StoredEvent[]) => events.reduce(evolveCase, initialCaseState(caseId));

  it('is booking, then planned; a reschedule keeps the slot until it holds, then plans the visit anew', () => {
    const later = slot('2026-12-09', 13);
    const booking = fold([opened(), started('v1')]);
    expect(booking.visits).toEqual([
      expect.objectContaining({
        visitId: 'v1',
        status: 'booking',
        services: ['id-card', 'registration'],
        place: { kind: 'home', address: '[withheld]' },
        requestedBy: 'scheduler-1',
      }),
    ]);
    let state = fold([
      opened(),
      started('v1'),
      visitEvent('v1', 'VisitPlanned', { ...slot('2026-12-07', 9), plannedAt: '2026-11-20T08:00:01.000Z' }),
      visitEvent('v1', 'VisitConfirmed', { confirmedBy: 'citizen', confirmedAt: '2026-11-21T10:00:00.000Z' }),
      visitEvent('v1', 'VisitFlaggedForRescheduling', { reason: 'device-faulty', device: 'printer' }),
      visitEvent('v1', 'VisitRescheduleStarted', { holdId: 'v1:2', ...later }),
    ]);
    expect(state.visits[0]).toMatchObject({
      status: 'confirmed',
      confirmedBy: 'citizen',
      confirmedAt: '2026-11-21T10:00:00.000Z',
      needsRescheduling: 'device-faulty',
      start: '2026-12-07T09:00:00.000Z',
      pendingReschedule: { start: later.start, kitId: 'kit-1' },
    });
    const refused = evolveCase(state, visitEvent('v1', 'VisitRescheduleRefused', { holdId: 'v1:2' }));
    expect(refused.visits[0]).toMatchObject({
      status: 'confirmed',
      pendingReschedule: null,
      needsRescheduling: 'device-faulty',
    });
    state = evolveCase(state, visitEvent('v1', 'VisitRescheduled', { holdId: 'v1:2', ...later }));
    // As scheduling's decider has it: the new time needs agreeing again, and the reason to move it is gone.
    expect(state.visits[0]).toMatchObject({
      status: 'planned',
      date: '2026-12-09',
      start: later.start,
      end: later.end,
      confirmedBy: null,
      confirmedAt: null,
      needsRescheduling: null,
      pendingReschedule: null,
    });
    expect(state.status).toBe('received');
    expect(state.uninterpreted).toEqual({});
  });

  it('keeps a refused booking and a visit the case was removed from, beside the next one', () => {
    const state = fold([
      opened(),
      started('v1'),
      visitEvent('v1', 'VisitBookingRefused', { holdId: 'v1:1', resource: { kind: 'kit', id: 'kit-1' } }),
      started('v2'),
      visitEvent('v2', 'VisitPlanned', slot('2026-12-07', 9)),
      visitEvent('v2', 'ParticipantRemoved', { caseId: otherCase, reason: 'case-withdrawn' }),
      visitEvent('v2', 'ParticipantRemoved', { caseId, reason: 'case-rejected' }),
      // The visit goes on for the others; its later events still name the removed case, and leave its part.
      visitEvent('v2', 'VisitConfirmed', { confirmedBy: 'institution' }),
      visitEvent('v2', 'VisitCancelled', { reason: 'no-participants' }),
      started('v3', slot('2026-12-14', 10)),
    ]);
    expect(state.visits.map(({ visitId, status }) => [visitId, status])).toEqual([
      ['v1', 'refused'],
      ['v2', 'removed'],
      ['v3', 'booking'],
    ]);
    expect(state.visits[1]).toMatchObject({ removalReason: 'case-rejected', confirmedBy: null, cancelReason: null });
    expect(state.uninterpreted).toEqual({});
  });

  it('is cancelled with its reason; the time of each change is the event’s own, else when it was recorded', () => {
    const cancelled = visitEvent('v1', 'VisitCancelled', { reason: 'staff-unavailable' });
    const state = fold([opened(), started('v1'), visitEvent('v1', 'VisitPlanned', slot('2026-12-07', 9)), cancelled]);
    expect(state.visits[0]).toMatchObject({
      status: 'cancelled',
      cancelReason: 'staff-unavailable',
      changedAt: cancelled.recordedAt.toISOString(),
      position: cancelled.position,
      requestedAt: '2026-11-20T08:00:00.000Z',
    });
  });

  it('counts as uninterpreted a visit event short of the contract, or about a visit it has not seen booked', () => {
    const state = fold([
      opened(),
      started('v1'),
      visitEvent('v1', 'VisitPlanned', { ...slot('2026-12-07', 9), kitId: undefined }),
      visitEvent('v1', 'VisitCancelled', {}),
      visitEvent('v9', 'VisitConfirmed', { confirmedBy: 'citizen' }),
      { ...visitEvent('v1', 'VisitConfirmed', { confirmedBy: 'citizen' }), schemaVersion: 2 },
    ]);
    expect(state.visits).toEqual([expect.objectContaining({ visitId: 'v1', status: 'booking' })]);
    expect(state.uninterpreted).toEqual({ scheduling: 4 });
    expect(state.events).toBe(6);
  });
});
