/**
 * A visit's life after its booking, on the embedded store: reschedule (the old holds let go, the new ones held),
 * confirm, cancel (its cases back on the plan), a participant taken off, a device reported faulty (the visit
 * flagged and in the queue), group appointments (summed durations, a group too large for one day split), the
 * address disclosed by role, and another tenant's visit answering as absent.
 */
import { PostgresCheckpointStore } from '@buergerkoffer/shared/event-sourcing';
import { pollUntil } from '@buergerkoffer/shared/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeVisitEvent } from '../src/visits/visit-booking.ts';
import { manageVisit } from '../src/visits/visit-manager.ts';
import { type SchedulingFixture, schedulingFixture } from './scheduling.fixture.ts';

const TUESDAY = '2027-03-02';
const at = (date: string, time: string) => new Date(`${date}T${time}:00+01:00`).toISOString();
const HOME = { kind: 'home', address: 'Hattinger Straße 12, 44789 Bochum' } as const;

describe('a booked visit', () => {
  let s: SchedulingFixture;
  let kitId: string;
  let staff: [string, string];
  beforeAll(async () => {
    s = await schedulingFixture();
    kitId = await s.kit();
    staff = [await s.staff(), await s.staff()];
  }, 120_000);
  afterAll(async () => s.close());

  const inject: SchedulingFixture['request'] = (...args) => s.request(...args);
  const holdsOn = (stream: string) => s.holdsOn(stream);
  const bookAt = async (caseIds: string[], date: string, from: string, to: string) => {
    const booked = await inject('POST', '/visits', {
      payload: { caseIds, kitId, staffIds: staff, start: at(date, from), end: at(date, to), place: HOME },
    });
    expect(booked.statusCode, booked.body).toBe(201);
    return booked.json<{ visitId: string; sequence: number }>();
  };
  const visit = async (visitId: string, role = 'scheduler') => {
    const response = await inject('GET', `/visits/${visitId}`, { role });
    return { status: response.statusCode, etag: String(response.headers.etag), body: response.json() };
  };
  const queue = async () =>
    (await inject('GET', '/queue')).json<{
      toPlan: { caseId: string }[];
      needsRescheduling: { visitId: string; reason: string }[];
    }>();

  it('is rescheduled: the new kit time held, the old one let go, the sequence counted; a stale If-Match is 412', async () => {
    const caseId = await s.approvedCase();
    await s.settled([caseId]);
    const { visitId } = await bookAt([caseId], TUESDAY, '08:00', '09:30');
    const before = await visit(visitId);
    const stale = await inject('POST', `/visits/${visitId}/reschedule`, {
      headers: { 'if-match': 'W/"0"' },
      payload: { kitId, staffIds: staff, start: at(TUESDAY, '11:00'), end: at(TUESDAY, '12:30') },
    });
    expect(stale.statusCode).toBe(412);
    const moved = await inject('POST', `/visits/${visitId}/reschedule`, {
      headers: { 'if-match': before.etag },
      payload: { kitId, staffIds: staff, start: at(TUESDAY, '11:00'), end: at(TUESDAY, '12:30') },
    });
    expect(moved.statusCode, moved.body).toBe(200);
    expect(moved.json()).toMatchObject({ status: 'planned', localStart: '11:00', sequence: 1, rescheduling: false });
    const holds = await holdsOn(`kitCalendar-${kitId}.${TUESDAY}`);
    expect(holds.filter((h) => h.visitId === visitId).map((h) => h.start)).toEqual([at(TUESDAY, '11:00')]);
    // The old slot is free: another visit takes 08:00.
    const other = await s.approvedCase();
    await s.settled([other]);
    await bookAt([other], TUESDAY, '08:00', '09:30');
  });

  it('is confirmed and then cancelled: its kit and staff free again, its case back on the plan', async () => {
    const date = '2027-03-03';
    const caseId = await s.approvedCase();
    await s.settled([caseId]);
    const { visitId } = await bookAt([caseId], date, '08:00', '09:30');
    const confirmed = await inject('POST', `/visits/${visitId}/confirm`, {
      headers: { 'if-match': (await visit(visitId)).etag },
      payload: { confirmedBy: 'contact-person' },
    });
    expect(confirmed.json()).toMatchObject({ status: 'confirmed', confirmedBy: 'contact-person' });
    expect(confirmed.json<{ allowedActions: string[] }>().allowedActions).not.toContain('confirm');
    const cancelled = await inject('POST', `/visits/${visitId}/cancel`, {
      headers: { 'if-match': confirmed.headers.etag as string, 'idempotency-key': 'cancel-1' },
      payload: { reason: 'citizen-request' },
    });
    expect(cancelled.json()).toMatchObject({
      status: 'cancelled',
      cancelReason: 'citizen-request',
      allowedActions: [],
    });
    await pollUntil(
      () => holdsOn(`kitCalendar-${kitId}.${date}`),
      (holds) => holds.length === 0,
      60_000,
      'the cancelled visit to let its kit go',
    );
    await pollUntil(queue, (q) => q.toPlan.some((c) => c.caseId === caseId), 60_000, 'the case back on the plan');
    const refused = await inject('POST', `/visits/${visitId}/confirm`, {
      headers: { 'if-match': cancelled.headers.etag as string },
      payload: { confirmedBy: 'citizen' },
    });
    expect(refused.statusCode).toBe(409);
  });

  it('is not claimed again by the visit manager handling its planning once more after it was cancelled (a replay)', async () => {
    const date = '2027-03-10';
    const caseId = await s.approvedCase();
    await s.settled([caseId]);
    const { visitId } = await bookAt([caseId], date, '08:00', '09:30');
    await inject('POST', `/visits/${visitId}/cancel`, {
      headers: { 'if-match': (await visit(visitId)).etag },
      payload: { reason: 'citizen-request' },
    });
    await pollUntil(queue, (q) => q.toPlan.some((c) => c.caseId === caseId), 60_000, 'the case back on the plan');
    // A crash before the manager stored its checkpoint: the same batch again, planning first.
    const stored = await s.fixture.store.readStream(`visit-${visitId}`);
    const steps = {
      store: s.fixture.store,
      checkpoints: new PostgresCheckpointStore(s.fixture.sql),
      now: () => new Date(),
    };
    for (const event of stored) {
      const decoded = decodeVisitEvent(event);
      if (decoded) await manageVisit(steps, event, decoded);
    }
    const again = await s.approvedCase();
    await s.settled([again]);
    // The case is still to plan: it can be booked on another visit.
    const rebooked = await inject('POST', '/visits', {
      payload: {
        caseIds: [caseId],
        kitId,
        staffIds: staff,
        start: at(date, '11:00'),
        end: at(date, '12:30'),
        place: HOME,
      },
    });
    expect(rebooked.statusCode, rebooked.body).toBe(201);
  });

  it('loses a participant; the last one leaving cancels it', async () => {
    const date = '2027-03-04';
    const group = crypto.randomUUID();
    const cases = [await s.approvedCase({ groupRequestId: group }), await s.approvedCase({ groupRequestId: group })];
    await s.settled(cases);
    const { visitId } = await bookAt(cases, date, '08:00', '10:00');
    const first = await inject('DELETE', `/visits/${visitId}/participants/${cases[0]}`, {
      headers: { 'if-match': (await visit(visitId)).etag },
    });
    expect(first.json()).toMatchObject({ status: 'planned', removedCaseIds: [cases[0]] });
    const last = await inject('DELETE', `/visits/${visitId}/participants/${cases[1]}`, {
      headers: { 'if-match': first.headers.etag as string },
    });
    expect(last.json()).toMatchObject({ status: 'cancelled', cancelReason: 'no-participants' });
  });

  it('is flagged for rescheduling when a device its services need is reported faulty, and shows in the queue', async () => {
    const date = '2027-03-05';
    const caseId = await s.approvedCase({ services: ['id-card'] });
    const unaffected = await s.approvedCase({ services: ['life-certificate'] });
    await s.settled([caseId, unaffected]);
    const { visitId } = await bookAt([caseId], date, '08:00', '09:30');
    const other = await bookAt([unaffected], date, '11:00', '12:00');
    await pollUntil(
      async () => (await inject('GET', `/visits?from=${date}&to=${date}`)).json<{ items: unknown[] }>().items,
      (items) => items.length >= 2,
      60_000,
      'the visits read model',
    );
    const fault = await inject('POST', `/kits/${kitId}/devices/camera/fault`, { role: 'field-officer' });
    expect(fault.statusCode, fault.body).toBe(200);
    const flagged = await pollUntil(
      queue,
      (q) => q.needsRescheduling.some((v) => v.visitId === visitId),
      60_000,
      'the flag',
    );
    expect(flagged.needsRescheduling.find((v) => v.visitId === visitId)?.reason).toBe('device-faulty');
    // A life certificate needs the printer only: that visit stands.
    expect(flagged.needsRescheduling.some((v) => v.visitId === other.visitId)).toBe(false);
    expect((await visit(visitId)).body).toMatchObject({
      needsRescheduling: { reason: 'device-faulty', device: 'camera' },
    });
    // The broken kit is proposed for no service that needs its camera; booking it is refused.
    const next = await s.approvedCase({ services: ['passport'] });
    await s.settled([next]);
    const refused = await inject('POST', '/visits', {
      payload: {
        caseIds: [next],
        kitId,
        staffIds: staff,
        start: at('2027-03-08', '08:00'),
        end: at('2027-03-08', '09:30'),
        place: HOME,
      },
    });
    expect(refused.json()).toMatchObject({ code: 'kit-unavailable' });
    await inject('POST', `/kits/${kitId}/devices/camera/repair`, { role: 'field-officer' });
  });

  it('plans a group appointment with the residents’ durations summed; a group too large for a day leaves the rest', async () => {
    const small = crypto.randomUUID();
    const residents = await Promise.all([1, 2, 3].map(() => s.approvedCase({ groupRequestId: small })));
    const large = crypto.randomUUID();
    const many = await Promise.all(
      Array.from({ length: 14 }, () =>
        s.approvedCase({ groupRequestId: large, services: ['id-card', 'registration'] }),
      ),
    );
    await s.settled([...residents, ...many]);
    // Once the kit's repaired camera is in the read models again.
    const found = await pollUntil(
      async () =>
        (await inject('GET', `/proposals?groupRequestId=${small}&from=2027-03-08`)).json<{
          minutes: number;
          proposals: { caseIds: string[] }[];
        }>(),
      (answer) => answer.proposals.length > 0,
      60_000,
      'proposals for the group',
    );
    expect(found.minutes).toBe(30 + 3 * 20 + 20);
    expect(found.proposals[0]?.caseIds.sort()).toEqual([...residents].sort());
    const split = (await inject('GET', `/proposals?groupRequestId=${large}&from=2027-03-08`)).json<{
      minutes: number;
      remainingCaseIds: string[];
      proposals: { caseIds: string[] }[];
    }>();
    // Eight hours of staff time: 30 + n × 35 + 20 ≤ 480 holds 12 of the 14 residents, in the order they came.
    expect(split.minutes).toBe(30 + 12 * 35 + 20);
    expect(split.remainingCaseIds).toEqual(many.slice(12));
    expect(split.proposals[0]?.caseIds).toEqual(many.slice(0, 12));
  });

  it('shows its address to whom the policy lets see it, records the read, and is absent for another tenant', async () => {
    const caseId = await s.approvedCase();
    await s.settled([caseId]);
    const { visitId } = await bookAt([caseId], '2027-03-09', '08:00', '09:30');
    expect((await visit(visitId, 'field-officer')).body).toMatchObject({ place: { address: HOME.address } });
    const audit = await inject('GET', `/visits/${visitId}`, { role: 'auditor' });
    expect(audit.statusCode).toBe(400);
    const accessed = await s.fixture.store.readStream(`caseAccess-${caseId}`);
    expect(accessed.map((e) => e.type)).toContain('CaseRecordAccessed');
    expect((await inject('GET', `/visits/${visitId}`, { tenantId: 'herne' })).statusCode).toBe(404);
    expect((await inject('GET', `/visits/${visitId}`, { role: 'intake-agent' })).statusCode).toBe(403);
  });
});
