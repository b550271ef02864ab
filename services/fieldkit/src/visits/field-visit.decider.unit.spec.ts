import type { SyncRecord } from '@buergerkoffer/shared/contracts';
import { describe, expect, it } from 'vitest';
import { contentHashOf } from '../sync/sync.ts';
import {
  ConflictAlreadyResolved,
  changedSince,
  decideSubmission,
  type FieldVisitState,
  fieldVisitDecider,
  MergeNotApplicable,
  type OfficeCommand,
  participantsAt,
  slotAt,
} from './field-visit.decider.ts';
import type { FieldVisitEvent } from './field-visit.events.ts';

const visitId = '0190f0d0-0000-7000-8000-000000000001';
const kitA = '0190f0d0-0000-7000-8000-00000000000a';
const kitB = '0190f0d0-0000-7000-8000-00000000000b';
const anna = '0190f0d0-0000-7000-8000-0000000000a1';
const ben = '0190f0d0-0000-7000-8000-0000000000b1';
const cleo = '0190f0d0-0000-7000-8000-0000000000c1';
const case1 = '0190f0d0-0000-7000-8000-0000000000f1';
const case2 = '0190f0d0-0000-7000-8000-0000000000f2';
const now = '2026-12-03T08:00:00.000Z';

const run = (state: FieldVisitState, command: OfficeCommand) => {
  const events = fieldVisitDecider.decide(command, state);
  return { events, state: events.reduce(fieldVisitDecider.evolve, state) };
};
const assign = (caseId: string, services = ['id-card'] as const): OfficeCommand => ({
  type: 'Assign',
  visitId,
  kitId: kitA,
  staffIds: [anna, ben],
  start: '2026-12-03T09:00:00.000Z',
  end: '2026-12-03T10:30:00.000Z',
  caseId,
  services: [...services],
  groupVisit: true,
  now,
});
const planned = () => run(run(fieldVisitDecider.initialState(), assign(case1)).state, assign(case2)).state;

let seq = 0;
const record = (fields: Partial<SyncRecord> & Pick<SyncRecord, 'kind'>, baseVersion = 2): SyncRecord =>
  ({
    submissionId: `0190f0d0-0000-7000-8000-${String(++seq).padStart(12, '0')}`,
    deviceId: 'bk-01',
    baseVersion,
    capturedAt: now,
    sequence: seq,
    visitId,
    recordedBy: anna,
    ...fields,
  }) as SyncRecord;
const submissionOf = (r: SyncRecord) => ({
  submissionId: r.submissionId,
  deviceId: r.deviceId,
  baseVersion: r.baseVersion,
  capturedAt: r.capturedAt,
  sequence: r.sequence,
  contentHash: contentHashOf(r),
});
const completed = (caseId = case1, baseVersion = 2) =>
  record({ kind: 'service-completed', caseId, service: 'id-card', feeCents: 3700, paymentMethod: 'card' }, baseVersion);

describe('the office side of a field visit', () => {
  it('versions each change: planned at 1, a participant more at 2; a redelivered planning changes nothing', () => {
    const state = planned();
    expect(state.version).toBe(2);
    expect(state.participants.map((p) => p.caseId)).toEqual([case1, case2]);
    expect(run(state, assign(case2)).events).toEqual([]);
  });

  it('keeps a cancelled visit cancelled when a participant’s planning arrives late (another partition)', () => {
    const cancelled = run(planned(), { type: 'Cancel', visitId, reason: 'citizen-request', now }).state;
    const late = run(cancelled, assign('0190f0d0-0000-7000-8000-0000000000f3'));
    expect(late.events).toEqual([]);
    expect(late.state.status).toBe('cancelled');
  });

  it('names what a reschedule changed, and remembers the kit and team it had before', () => {
    const moved = run(planned(), {
      type: 'Reschedule',
      visitId,
      kitId: kitB,
      staffIds: [anna, cleo],
      start: '2026-12-04T09:00:00.000Z',
      end: '2026-12-04T10:30:00.000Z',
      now,
    }).state;
    expect(changedSince(moved, 2)).toEqual(['start', 'end', 'kitId', 'staffIds']);
    expect(slotAt(moved, 2)).toEqual({ kitId: kitA, staffIds: [anna, ben] });
    expect(slotAt(moved, 3)).toEqual({ kitId: kitB, staffIds: [anna, cleo] });
    // The same reschedule delivered for the visit's other case: nothing new.
    expect(
      run(moved, {
        type: 'Reschedule',
        visitId,
        kitId: kitB,
        staffIds: [cleo, anna],
        start: '2026-12-04T09:00:00.000Z',
        end: '2026-12-04T10:30:00.000Z',
        now,
      }).events,
    ).toEqual([]);
  });
});

describe('taking in a record', () => {
  it('accepts a record on the current version, then answers the same submission as a duplicate', () => {
    const state = planned();
    const r = completed();
    const decided = decideSubmission(state, kitA, r, submissionOf(r));
    expect(decided.answer).toBe('accepted');
    if (decided.answer !== 'accepted') return;
    const after = fieldVisitDecider.evolve(state, decided.event);
    expect(decideSubmission(after, kitA, r, submissionOf(r))).toEqual({
      answer: 'duplicate',
      first: { status: 'accepted', visitId, sequence: r.sequence },
    });
    const changed = { ...r, feeCents: 2280 } as SyncRecord;
    expect(decideSubmission(after, kitA, changed, submissionOf(changed)).answer).toBe('conflict');
  });

  it.each([
    ['another kit', { kit: kitB }, 'visitId'],
    ['a case not on the visit', { caseId: '0190f0d0-0000-7000-8000-0000000000ff' }, 'caseId'],
    ['a service not asked for', { service: 'passport' }, 'service'],
    ['a recorder not on the team', { recordedBy: cleo }, 'recordedBy'],
    ['a version no manifest had', { baseVersion: 7 }, 'baseVersion'],
  ])('rejects a record of %s, naming the field', (_, change, field) => {
    const { kit = kitA, ...fields } = change as { kit?: string } & Partial<SyncRecord>;
    const r = { ...completed(), ...fields } as SyncRecord;
    expect(decideSubmission(planned(), kit, r, submissionOf(r))).toMatchObject({
      answer: 'rejected',
      errors: [{ field }],
    });
  });

  it('holds a record on a stale base: hard when the office changed what it touches, soft when something else', () => {
    const removed = run(planned(), {
      type: 'RemoveParticipant',
      visitId,
      caseId: case2,
      reason: 'case-withdrawn',
      now,
    });
    const state = removed.state;
    const aboutRemoved = completed(case2);
    expect(decideSubmission(state, kitA, aboutRemoved, submissionOf(aboutRemoved))).toEqual({
      answer: 'recorded-as-conflict',
      severity: 'hard',
      fields: [`participants.${case2}`],
    });
    const aboutOther = completed(case1);
    expect(decideSubmission(state, kitA, aboutOther, submissionOf(aboutOther))).toEqual({
      answer: 'recorded-as-conflict',
      severity: 'soft',
      fields: [`participants.${case2}`],
    });
    // Control: the same record on the current version is simply accepted.
    const current = completed(case1, 3);
    expect(decideSubmission(state, kitA, current, submissionOf(current)).answer).toBe('accepted');
  });

  it('holds every record of a visit cancelled since as hard (status), and one moved to another kit (kitId)', () => {
    const cancelled = run(planned(), { type: 'Cancel', visitId, reason: 'citizen-request', now }).state;
    const started = record({ kind: 'visit-started' });
    expect(decideSubmission(cancelled, kitA, started, submissionOf(started))).toMatchObject({
      severity: 'hard',
      fields: ['status'],
    });
    const moved = run(planned(), {
      type: 'Reschedule',
      visitId,
      kitId: kitB,
      staffIds: [anna, ben],
      start: '2026-12-03T09:00:00.000Z',
      end: '2026-12-03T10:30:00.000Z',
      now,
    }).state;
    expect(decideSubmission(moved, kitA, started, submissionOf(started))).toMatchObject({
      severity: 'hard',
      fields: ['kitId'],
    });
  });
});

describe('resolving a held record', () => {
  const held = () => {
    const state = run(planned(), { type: 'Cancel', visitId, reason: 'other', now }).state;
    const r = completed();
    const conflictId = '0190f0d0-0000-7000-8000-0000000000cc';
    const event: FieldVisitEvent = {
      type: 'SubmissionConflictRecorded',
      data: {
        conflictId,
        visitId,
        kitId: kitA,
        severity: 'hard',
        fields: ['status'],
        officeVersion: state.version,
        record: r as unknown as Record<string, unknown>,
        submission: submissionOf(r),
        caseId: case1,
        recordedAt: now,
      },
    };
    return { state: fieldVisitDecider.evolve(state, event), r, conflictId };
  };
  const by = { id: 'scheduler-1', role: 'scheduler' };

  it('lets an accepted record take effect, keeping the submission’s first answer', () => {
    const { state, r, conflictId } = held();
    const events = fieldVisitDecider.decide(
      {
        type: 'ResolveConflict',
        conflictId,
        resolution: 'merge',
        reason: 'kit-data-corrected',
        merge: { feeCents: 2280 },
        by,
        held: { record: r, submission: submissionOf(r) },
        now,
      },
      state,
    );
    expect(events.map((e) => e.type)).toEqual(['SubmissionConflictResolved', 'ServiceCompleted']);
    expect(events[1]?.data).toMatchObject({ feeCents: 2280, conflictId });
    const after = events.reduce(fieldVisitDecider.evolve, state);
    expect(after.submissions[r.submissionId]?.answer.status).toBe('recorded-as-conflict');
    expect(() =>
      fieldVisitDecider.decide(
        {
          type: 'ResolveConflict',
          conflictId,
          resolution: 'keep-office',
          reason: 'other',
          by,
          held: { record: r, submission: submissionOf(r) },
          now,
        },
        after,
      ),
    ).toThrow(ConflictAlreadyResolved);
  });

  it('keeps the office’s version without a record, and refuses to merge a field the record has not', () => {
    const { state, r, conflictId } = held();
    const kept = fieldVisitDecider.decide(
      {
        type: 'ResolveConflict',
        conflictId,
        resolution: 'keep-office',
        reason: 'office-data-correct',
        by,
        held: { record: r, submission: submissionOf(r) },
        now,
      },
      state,
    );
    expect(kept.map((e) => e.type)).toEqual(['SubmissionConflictResolved']);
    expect(() =>
      fieldVisitDecider.decide(
        {
          type: 'ResolveConflict',
          conflictId,
          resolution: 'merge',
          reason: 'other',
          merge: { reason: 'absent' },
          by,
          held: { record: r, submission: submissionOf(r) },
          now,
        },
        state,
      ),
    ).toThrow(MergeNotApplicable);
  });

  it('lists the participants of a version, not the ones added or removed later', () => {
    const state = run(planned(), { type: 'RemoveParticipant', visitId, caseId: case1, reason: 'scheduler', now }).state;
    expect(participantsAt(state, 1).map((p) => p.caseId)).toEqual([case1]);
    expect(participantsAt(state, 2).map((p) => p.caseId)).toEqual([case1, case2]);
    expect(participantsAt(state, 3).map((p) => p.caseId)).toEqual([case2]);
  });
});

describe('what the review found', () => {
  const reschedule = (start: string, at: string) => ({
    type: 'Reschedule' as const,
    visitId,
    kitId: kitA,
    staffIds: [anna, ben],
    start,
    end: '2026-12-05T12:00:00.000Z',
    now: at,
  });

  it('does not apply an older reschedule arriving after a newer one (another case’s partition, a redelivery)', () => {
    const toY = reschedule('2026-12-05T09:00:00.000Z', '2026-12-01T10:00:00.000Z');
    const toZ = reschedule('2026-12-05T10:00:00.000Z', '2026-12-01T11:00:00.000Z');
    const atZ = run(run(planned(), toY).state, toZ).state;
    const late = run(atZ, toY);
    expect(late.events).toEqual([]);
    expect(late.state.start).toBe('2026-12-05T10:00:00.000Z');
  });

  it('holds (not rejects) a record about a participant re-added with other services since', () => {
    const readded = run(planned(), assign(case1, ['id-card', 'passport'] as never)).state;
    const r = completed(case1, 2);
    expect(decideSubmission(readded, kitA, r, submissionOf(r))).toEqual({
      answer: 'recorded-as-conflict',
      severity: 'hard',
      fields: [`participants.${case1}`],
    });
  });

  it('holds a record claiming a cancelled visit’s latest version', () => {
    const cancelled = run(planned(), { type: 'Cancel', visitId, reason: 'other', now }).state;
    const r = completed(case1, cancelled.version);
    expect(decideSubmission(cancelled, kitA, r, submissionOf(r))).toMatchObject({
      answer: 'recorded-as-conflict',
      severity: 'hard',
    });
  });

  it('lets an accepted record of kit A take effect as kit A’s, though the visit moved to kit B', () => {
    const moved = run(planned(), { ...reschedule('2026-12-03T09:00:00.000Z', now), kitId: kitB }).state;
    const r = record({ kind: 'device-check', phase: 'start', devices: [{ device: 'printer', status: 'faulty' }] });
    const conflictId = '0190f0d0-0000-7000-8000-0000000000cd';
    const held = fieldVisitDecider.evolve(moved, {
      type: 'SubmissionConflictRecorded',
      data: {
        conflictId,
        visitId,
        kitId: kitA,
        severity: 'hard',
        fields: ['kitId'],
        officeVersion: moved.version,
        record: r as unknown as Record<string, unknown>,
        submission: submissionOf(r),
        recordedAt: now,
      },
    });
    const [, effect] = fieldVisitDecider.decide(
      {
        type: 'ResolveConflict',
        conflictId,
        resolution: 'accept-kit',
        reason: 'visit-took-place',
        by: { id: 'scheduler-1', role: 'scheduler' },
        held: { record: r, submission: submissionOf(r) },
        now,
      },
      held,
    );
    expect(effect?.data).toMatchObject({ kitId: kitA });
  });
});
