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

describe('a case’s fieldwork folded from the history', () => {
  const otherCase = '0190c6f0-0000-7000-8000-000000000002';
  const kitId = '0190c6f0-0000-7000-8000-00000000c0de';
  const staffId = '0190c6f0-0000-7000-8000-00000000a001';
  let submissions = 0;
  const submission = (capturedAt: string) => ({
    submissionId: `0190c6f0-0000-7000-8000-${String(++submissions).padStart(12, '0')}`,
    deviceId: 'bk-03-nb',
    baseVersion: 1,
    capturedAt,
    sequence: submissions,
    contentHash: 'c0ffee',
  });
  /** A record of the kit's as fieldkit stores it: the visit's own records name every participant's case. */
  type RecordOptions = { readonly capturedAt?: string; readonly at?: string; readonly cases?: readonly string[] };
  const record = (
    visitId: string,
    type: string,
    data: Record<string, unknown>,
    {
      capturedAt = '2026-12-07T09:05:00+01:00',
      at = '2026-12-07T10:00:00Z',
      cases = [caseId, otherCase],
    }: RecordOptions = {},
  ): StoredEvent => ({
    ...event(
      `fieldVisit-${visitId}`,
      type,
      { visitId, kitId, recordedBy: staffId, submission: submission(capturedAt), ...data },
      at,
    ),
    metadata:
      cases.length === 1 ? { tenantId: 'bochum', caseId: cases[0] } : { tenantId: 'bochum', caseIds: [...cases] },
  });
  const completed = (
    visitId: string,
    service: string,
    extra: Record<string, unknown> = {},
    options: RecordOptions = {},
  ) =>
    record(
      visitId,
      'ServiceCompleted',
      { caseId, service, feeCents: 3700, paymentMethod: 'card', ...extra },
      { cases: [caseId], ...options },
    );
  const notCompleted = (visitId: string, service: string, reason: string, options: RecordOptions = {}) =>
    record(visitId, 'ServiceNotCompleted', { caseId, service, reason }, { cases: [caseId], ...options });
  const conflict = (
    visitId: string,
    conflictId: string,
    extra: Record<string, unknown>,
    at = '2026-12-07T10:00:00Z',
  ) => ({
    ...event(
      `fieldVisit-${visitId}`,
      'SubmissionConflictRecorded',
      {
        conflictId,
        visitId,
        kitId,
        severity: 'hard',
        fields: ['services'],
        officeVersion: 3,
        record: { kind: 'service-completed', caseId, service: 'passport' },
        submission: submission('2026-12-07T09:40:00+01:00'),
        caseId,
        recordedAt: '2026-12-07T10:00:00.000Z',
        ...extra,
      },
      at,
    ),
    metadata: { tenantId: 'bochum', caseId },
  });
  const resolved = (visitId: string, conflictId: string, resolution: string, at = '2026-12-08T08:00:00Z') => ({
    ...event(
      `fieldVisit-${visitId}`,
      'SubmissionConflictResolved',
      {
        conflictId,
        visitId,
        resolution,
        reason: 'Rücksprache mit dem Team',
        resolvedBy: { id: 'scheduler-7', role: 'scheduler' },
        resolvedAt: at,
      },
      at,
    ),
    metadata: { tenantId: 'bochum', caseId },
  });
  const fold = (events: StoredEvent[]) => events.reduce(evolveCase, initialCaseState(caseId));

  it('is started, checked, each service’s outcome recorded, and ended; a service recorded again takes the later outcome', () => {
    const started = record('v1', 'FieldVisitStarted', {}, { capturedAt: '2026-12-07T09:02:00+01:00' });
    const checked = record('v1', 'DevicesChecked', {
      phase: 'start',
      devices: [
        { device: 'camera', status: 'faulty' },
        { device: 'printer', status: 'ok' },
      ],
    });
    const state = fold([
      opened(),
      started,
      checked,
      notCompleted('v1', 'passport', 'device-fault'),
      notCompleted('v1', 'id-card', 'absent'),
      completed('v1', 'id-card', { producerReference: 'PA-2026-1234567' }),
      completed('v1', 'registration', { feeCents: 0, paymentMethod: 'none' }),
      // Another participant's service (which should not name this case) leaves this case's part as it was.
      record(
        'v1',
        'ServiceCompleted',
        { caseId: otherCase, service: 'life-certificate', feeCents: 0, paymentMethod: 'none' },
        { cases: [caseId] },
      ),
      record('v1', 'FieldVisitEnded', {}, { capturedAt: '2026-12-07T10:10:00+01:00' }),
    ]);
    expect(state.uninterpreted).toEqual({});
    expect(state.fieldwork).toHaveLength(1);
    const [visit] = state.fieldwork;
    expect(visit).toMatchObject({
      visitId: 'v1',
      kitId,
      startedAt: '2026-12-07T09:02:00+01:00',
      endedAt: '2026-12-07T10:10:00+01:00',
      deviceChecks: [{ phase: 'start', faulty: ['camera'], position: checked.position }],
    });
    expect(visit?.services).toEqual([
      expect.objectContaining({
        service: 'passport',
        outcome: 'not-completed',
        reason: 'device-fault',
        feeCents: null,
      }),
      // In the place it was first recorded, with its later outcome.
      expect.objectContaining({
        service: 'id-card',
        outcome: 'completed',
        feeCents: 3700,
        paymentMethod: 'card',
        hasProducerReference: true,
        producerReference: 'PA-2026-1234567',
        reason: null,
        recordedBy: staffId,
        conflictId: null,
      }),
      expect.objectContaining({
        service: 'registration',
        outcome: 'completed',
        feeCents: 0,
        paymentMethod: 'none',
        hasProducerReference: false,
        producerReference: null,
      }),
    ]);
    expect(visit?.position).toBe(state.position);
    expect(state.status).toBe('received');
  });

  it('keeps a conflict open until the office resolves it; the record taking effect through it names it', () => {
    const held = conflict('v1', 'c1', {});
    const soft = conflict('v1', 'c2', {
      severity: 'soft',
      fields: ['start'],
      record: { kind: 'visit-started' },
      caseId: undefined,
    });
    let state = fold([opened(), record('v1', 'FieldVisitStarted', {}), held, soft]);
    expect(state.fieldwork[0]?.conflicts).toEqual([
      expect.objectContaining({ conflictId: 'c1', severity: 'hard', fields: ['services'], status: 'open' }),
      expect.objectContaining({ conflictId: 'c2', severity: 'soft', status: 'open', resolution: null }),
    ]);
    expect(state.fieldwork[0]?.services).toEqual([]);
    state = [resolved('v1', 'c1', 'accept-kit'), completed('v1', 'passport', { conflictId: 'c1' })].reduce(
      evolveCase,
      state,
    );
    expect(state.fieldwork[0]?.conflicts).toEqual([
      expect.objectContaining({
        conflictId: 'c1',
        status: 'resolved',
        resolution: 'accept-kit',
        resolvedBy: 'scheduler-7',
        resolvedAt: '2026-12-08T08:00:00Z',
      }),
      expect.objectContaining({ conflictId: 'c2', status: 'open' }),
    ]);
    expect(state.fieldwork[0]?.services).toEqual([
      expect.objectContaining({ service: 'passport', outcome: 'completed', conflictId: 'c1' }),
    ]);
    expect(state.uninterpreted).toEqual({});
  });

  it('begins with a conflict held before any record of the visit took effect; keep-office leaves no outcome', () => {
    const state = fold([opened(), conflict('v2', 'c3', {}), resolved('v2', 'c3', 'keep-office')]);
    expect(state.fieldwork).toEqual([
      expect.objectContaining({
        visitId: 'v2',
        kitId,
        startedAt: null,
        services: [],
        conflicts: [expect.objectContaining({ conflictId: 'c3', status: 'resolved', resolution: 'keep-office' })],
      }),
    ]);
  });

  it('does not interpret the office’s copies of scheduling’s events, a resolution it has not seen recorded, or a record short of the contract', () => {
    const assigned = event(`fieldVisit-v3`, 'KitVisitAssigned', {
      visitId: 'v3',
      kitId,
      caseId,
      services: ['id-card'],
      groupVisit: false,
      staffIds: [staffId, staffId],
      start: '2026-12-07T08:00:00.000Z',
      end: '2026-12-07T09:00:00.000Z',
      assignedAt: '2026-11-20T08:00:00.000Z',
    });
    const { submission: _dropped, ...withoutSubmission } = completed('v3', 'id-card').data as Record<string, unknown>;
    const state = fold([
      opened(),
      assigned,
      event(`fieldVisit-v3`, 'KitParticipantRemoved', {
        visitId: 'v3',
        caseId,
        reason: 'case-withdrawn',
        removedAt: '2026-11-21T08:00:00.000Z',
      }),
      resolved('v3', 'c9', 'accept-kit'),
      { ...completed('v3', 'id-card'), data: withoutSubmission as StoredEvent['data'] },
      { ...record('v3', 'FieldVisitStarted', {}), schemaVersion: 2 },
    ]);
    expect(state.fieldwork).toEqual([]);
    expect(state.uninterpreted).toEqual({ fieldkit: 5 });
    expect(state.events).toBe(6);
  });

  it('travels in time: as of a position or a time, the fieldwork as the office had received it then', async () => {
    // The kit captured the passport's outcome on site at 09:40, but synced it only in the afternoon.
    const history = [
      opened(),
      record('v1', 'FieldVisitStarted', {}, { capturedAt: '2026-12-07T09:02:00+01:00', at: '2026-12-07T09:03:00Z' }),
      notCompleted('v1', 'id-card', 'missing-document', { at: '2026-12-07T09:20:00Z' }),
      conflict('v1', 'c1', {}, '2026-12-07T09:45:00Z'),
      completed(
        'v1',
        'passport',
        { conflictId: 'c1' },
        { capturedAt: '2026-12-07T09:40:00+01:00', at: '2026-12-07T15:00:00Z' },
      ),
      resolved('v1', 'c1', 'merge', '2026-12-08T08:00:00Z'),
    ];
    const [, started, idCard, held] = history;
    const at = (asOf: { position: number } | { time: Date }) => caseStateAt(caseId, from(history), asOf);

    expect((await at({ position: (started?.position ?? 0) - 1 }))?.fieldwork).toEqual([]);
    const beforeConflict = await at({ position: idCard?.position ?? 0 });
    expect(beforeConflict?.fieldwork).toEqual([
      expect.objectContaining({
        startedAt: '2026-12-07T09:02:00+01:00',
        services: [expect.objectContaining({ service: 'id-card', outcome: 'not-completed' })],
        conflicts: [],
      }),
    ]);
    const held_ = await at({ position: held?.position ?? 0 });
    expect(held_?.fieldwork[0]?.conflicts).toEqual([expect.objectContaining({ conflictId: 'c1', status: 'open' })]);
    // At noon the office had the conflict, not yet the passport captured before it (synced at 15:00).
    const noon = await at({ time: new Date('2026-12-07T12:00:00Z') });
    expect(noon?.fieldwork[0]?.services.map((s) => s.service)).toEqual(['id-card']);
    expect(noon?.fieldwork[0]?.conflicts[0]?.status).toBe('open');
    const evening = await at({ time: new Date('2026-12-07T18:00:00Z') });
    expect(evening?.fieldwork[0]?.services.map((s) => [s.service, s.outcome])).toEqual([
      ['id-card', 'not-completed'],
      ['passport', 'completed'],
    ]);
    expect(evening?.fieldwork[0]?.conflicts[0]?.status).toBe('open');
    const now = await caseStateAt(caseId, from(history));
    expect(now?.fieldwork[0]?.conflicts[0]).toMatchObject({ status: 'resolved', resolution: 'merge' });
  });
});
