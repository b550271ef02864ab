/**
 * A case's visits in its history and state: scheduling's visit events, stored with `metadata.caseIds` naming the
 * participants' cases, read through casefile's routes. Run on PGlite (integration) and the PostgreSQL server
 * (contracts).
 */
import type { Sql } from '@buergerkoffer/shared/event-sourcing';
import { uuidv7 } from '@buergerkoffer/shared/event-sourcing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CasefileFixture,
  casefileApp,
  caseWriter,
  fieldVisitWriter,
  slot,
  visitWriter,
} from './casefile.fixture.ts';

const AUDIT = 'purpose=audit';
const ADDRESS = 'Kortumstraße 12, 44787 Bochum';
const first = slot('2026-12-07', '09:00', '09:45');
const moved = slot('2026-12-09', '13:00', '13:45');

type Entry = { type: string; position: number; service: string; data: ReturnType<typeof JSON.parse> };

export function visitsSuite(openSql: () => Promise<Sql>) {
  let fx: CasefileFixture;
  beforeAll(async () => {
    fx = await casefileApp(await openSql());
  });
  afterAll(async () => fx?.close());

  /** An approved case, then its home visit booked and planned. */
  const plannedVisit = async () => {
    const c = caseWriter(fx.store);
    await c.open();
    await c.precheck();
    const approved = await c.approve();
    const visit = visitWriter(fx.store, [{ caseId: c.caseId, subjectId: c.subjectId }]);
    await visit.start(first, ADDRESS, c.subjectId);
    const planned = await visit.plan(first);
    return { c, visit, approvedPosition: approved.position, plannedPosition: planned.position };
  };
  const events = async (caseId: string, role: Parameters<CasefileFixture['get']>[1], query = '') => {
    const { body, text } = await fx.get(`/cases/${caseId}/history?${query}`, role);
    return { events: (body.events as Entry[]).filter((e) => e.type !== 'CaseRecordAccessed'), text };
  };
  const state = async (caseId: string, query = AUDIT, role: Parameters<CasefileFixture['get']>[1] = 'auditor') =>
    fx.get(`/cases/${caseId}/state?${query}`, role);

  describe('a case with a visit', () => {
    it('lists the visit’s events in its history in order, after the case’s own, and no calendar’s', async () => {
      const { c, visit } = await plannedVisit();
      await visit.reschedule(first, moved);
      await visit.cancel();
      // The kit's day calendar holds the visit too, but names no case: not the case's history.
      await fx.store.append(`kitCalendar-${first.kitId}.${first.date}`, [
        {
          id: uuidv7(),
          type: 'ResourceReserved',
          data: { resource: { kind: 'kit', id: first.kitId }, visitId: visit.visitId, holdId: 'h', ...first },
          metadata: { tenantId: 'bochum' },
        },
      ]);
      const { events: history } = await events(c.caseId, 'auditor', AUDIT);
      expect(history.map((e) => [e.service, e.type])).toEqual([
        ['intake', 'CaseOpened'],
        ['eligibility', 'AssessmentPrechecked'],
        ['eligibility', 'NecessityConfirmed'],
        ['scheduling', 'VisitBookingStarted'],
        ['scheduling', 'VisitPlanned'],
        ['scheduling', 'VisitRescheduleStarted'],
        ['scheduling', 'VisitRescheduled'],
        ['scheduling', 'VisitCancelled'],
      ]);
      const positions = history.map((e) => e.position);
      expect(positions).toEqual([...positions].sort((a, b) => a - b));
      expect(history[3]?.data).toMatchObject({ visitId: visit.visitId, place: { kind: 'home', address: ADDRESS } });
    });

    it('shows the visit planned, at its new time once rescheduled, then cancelled; earlier positions as they were', async () => {
      const { c, visit, approvedPosition, plannedPosition } = await plannedVisit();
      const planned = await state(c.caseId);
      expect(planned.status).toBe(200);
      // The case's own status is the decision's; the visit is beside it.
      expect(planned.body).toMatchObject({ status: 'approved', uninterpreted: {} });
      expect(planned.body.visits).toEqual([
        expect.objectContaining({
          visitId: visit.visitId,
          status: 'planned',
          services: ['id-card'],
          place: { kind: 'home', address: ADDRESS },
          kitId: first.kitId,
          staffIds: first.staffIds,
          date: first.date,
          start: first.start,
          end: first.end,
          pendingReschedule: null,
          needsRescheduling: null,
          cancelReason: null,
          position: plannedPosition,
        }),
      ]);
      await visit.confirm();
      const rescheduled = await visit.reschedule(first, moved);
      const afterReschedule = (await state(c.caseId)).body.visits[0];
      // Moved: the new time needs agreeing again (as scheduling's decider has it).
      expect(afterReschedule).toMatchObject({
        status: 'planned',
        date: moved.date,
        start: moved.start,
        end: moved.end,
        confirmedBy: null,
        pendingReschedule: null,
        position: rescheduled.position,
      });
      const cancelled = await visit.cancel('citizen-request');
      expect((await state(c.caseId)).body.visits[0]).toMatchObject({
        status: 'cancelled',
        cancelReason: 'citizen-request',
        start: moved.start,
        position: cancelled.position,
      });
      // Time travel: before the cancellation the visit stood planned at its new time, before the reschedule at the
      // first, and before its booking there was none.
      const beforeCancel = await state(c.caseId, `at=${cancelled.position - 1}&${AUDIT}`);
      expect(beforeCancel.body.visits).toEqual([expect.objectContaining({ status: 'planned', start: moved.start })]);
      const beforeReschedule = await state(c.caseId, `at=${plannedPosition}&${AUDIT}`);
      expect(beforeReschedule.body.visits).toEqual([
        expect.objectContaining({ status: 'planned', start: first.start, confirmedBy: null }),
      ]);
      const beforeVisit = await state(c.caseId, `at=${approvedPosition}&${AUDIT}`);
      expect(beforeVisit.body).toMatchObject({ status: 'approved', visits: [] });
    });

    it('withholds the address from an intake agent, without storing it in clear, and shows it to a scheduler', async () => {
      const { c } = await plannedVisit();
      const inClear = await fx.sql.query<{ n: string | number }>(
        `select count(*) as n from es_events where data::text like '%Kortumstraße%'`,
      );
      expect(Number(inClear[0]?.n)).toBe(0);
      const agent = await events(c.caseId, 'intake-agent');
      const booked = agent.events.find((e) => e.type === 'VisitBookingStarted');
      expect(booked?.data.place).toEqual({ kind: 'home', address: '[withheld]' });
      expect(agent.text).not.toContain('Kortumstraße');
      const agentState = await state(c.caseId, '', 'intake-agent');
      expect(agentState.body.visits[0].place).toEqual({ kind: 'home', address: '[withheld]' });
      expect(agentState.text).not.toContain('Kortumstraße');
      const officer = await events(c.caseId, 'eligibility-officer');
      expect(officer.events.find((e) => e.type === 'VisitBookingStarted')?.data.place.address).toBe('[withheld]');
      for (const role of ['scheduler', 'field-officer'] as const) {
        const staff = await events(c.caseId, role);
        expect(staff.events.find((e) => e.type === 'VisitBookingStarted')?.data.place.address).toBe(ADDRESS);
      }
      expect((await state(c.caseId, '', 'scheduler')).body.visits[0].place.address).toBe(ADDRESS);
      // Sealed with the applicant's key: their erasure shreds it here too.
      await fx.keys.erase('bochum', c.subjectId);
      const erased = await events(c.caseId, 'auditor', AUDIT);
      expect(erased.events.find((e) => e.type === 'VisitBookingStarted')?.data.place.address).toBe('[erased]');
      expect((await state(c.caseId)).body.visits[0]).toMatchObject({
        status: 'planned',
        place: { address: '[erased]' },
      });
    });

    it('counts a visit event that does not carry what the audit contract reads as uninterpreted', async () => {
      const { c, visit } = await plannedVisit();
      await visit.raw('VisitConfirmed', { recordedBy: 'scheduler-7', confirmedAt: new Date().toISOString() });
      // …and one about a visit whose booking is not in the case's history.
      const elsewhere = visitWriter(fx.store, [{ caseId: c.caseId }]);
      await elsewhere.cancel();
      const { body } = await state(c.caseId);
      expect(body.uninterpreted).toEqual({ scheduling: 2 });
      expect(body.visits).toEqual([expect.objectContaining({ visitId: visit.visitId, status: 'planned' })]);
      const { events: history } = await events(c.caseId, 'auditor', AUDIT);
      expect(history.filter((e) => e.type === 'VisitConfirmed' || e.type === 'VisitCancelled')).toHaveLength(2);
    });
  });

  describe('a visit the kit worked', () => {
    it('shows the kit’s records in the history and the fieldwork in the state; as of a position, as it was then', async () => {
      const { c, visit } = await plannedVisit();
      const kit = fieldVisitWriter(fx.store, { visitId: visit.visitId, kitId: first.kitId, caseIds: [c.caseId] });
      await kit.started('2026-12-07T09:02:00+01:00');
      await kit.notCompleted(c.caseId, 'id-card', 'missing-document', '2026-12-07T09:10:00+01:00');
      const conflictId = uuidv7();
      const held = await kit.conflict(c.caseId, conflictId, '2026-12-07T09:20:00+01:00');
      await kit.resolve(c.caseId, conflictId, 'accept-kit');
      await kit.completed(c.caseId, 'passport', '2026-12-07T09:20:00+01:00', 'PA-2026-1234567');
      await kit.ended('2026-12-07T09:40:00+01:00');

      const { events: history } = await events(c.caseId, 'auditor', AUDIT);
      expect(history.filter((e) => e.service === 'fieldkit').map((e) => e.type)).toEqual([
        'FieldVisitStarted',
        'ServiceNotCompleted',
        'SubmissionConflictRecorded',
        'SubmissionConflictResolved',
        'ServiceCompleted',
        'FieldVisitEnded',
      ]);
      const now = await state(c.caseId);
      expect(now.status).toBe(200);
      expect(now.body.uninterpreted).toEqual({});
      expect(now.body.fieldwork).toEqual([
        expect.objectContaining({
          visitId: visit.visitId,
          kitId: first.kitId,
          startedAt: '2026-12-07T09:02:00+01:00',
          endedAt: '2026-12-07T09:40:00+01:00',
          services: [
            expect.objectContaining({ service: 'id-card', outcome: 'not-completed', reason: 'missing-document' }),
            expect.objectContaining({
              service: 'passport',
              outcome: 'completed',
              feeCents: 3700,
              paymentMethod: 'card',
              hasProducerReference: true,
              producerReference: 'PA-2026-1234567',
            }),
          ],
          conflicts: [
            expect.objectContaining({ conflictId, severity: 'hard', status: 'resolved', resolution: 'accept-kit' }),
          ],
        }),
      ]);
      const then = await state(c.caseId, `at=${held.position}&${AUDIT}`);
      expect(then.body.fieldwork).toEqual([
        expect.objectContaining({
          endedAt: null,
          services: [expect.objectContaining({ service: 'id-card', outcome: 'not-completed' })],
          conflicts: [expect.objectContaining({ conflictId, status: 'open', resolution: null })],
        }),
      ]);
    });
  });

  describe('a group visit', () => {
    it('shows each participant its visit; one removed stays removed and may be planned on another visit', async () => {
      const [a, b] = [caseWriter(fx.store), caseWriter(fx.store)];
      if (!a || !b) throw new Error('no cases');
      await a.open();
      await b.open();
      const group = visitWriter(fx.store, [{ caseId: a.caseId }, { caseId: b.caseId }]);
      // At an institution: the address is no one's home and is sealed under the visit's id.
      await group.start(first, 'Seniorenzentrum, Am Stadtpark 3');
      await group.plan(first);
      await group.remove(b.caseId, 'scheduler');
      await group.confirm(); // names b still (as scheduling does): b's part stays as it was
      const again = visitWriter(fx.store, [{ caseId: b.caseId, subjectId: b.subjectId }]);
      await again.start(moved, ADDRESS, b.subjectId);
      await again.plan(moved);

      const ofA = (await state(a.caseId)).body;
      expect(ofA.visits).toEqual([
        expect.objectContaining({ visitId: group.visitId, status: 'confirmed', confirmedBy: 'citizen' }),
      ]);
      expect(ofA.visits[0].place).toEqual({ kind: 'institution', address: 'Seniorenzentrum, Am Stadtpark 3' });
      const inClear = await fx.sql.query<{ n: string | number }>(
        `select count(*) as n from es_events where data::text like '%Seniorenzentrum%'`,
      );
      expect(Number(inClear[0]?.n)).toBe(0);
      const ofB = (await state(b.caseId)).body;
      expect(ofB.visits).toEqual([
        expect.objectContaining({ visitId: group.visitId, status: 'removed', removalReason: 'scheduler' }),
        expect.objectContaining({ visitId: again.visitId, status: 'planned', start: moved.start }),
      ]);
      expect(ofB.visits[0].confirmedBy).toBeNull();
      const { events: historyOfB } = await events(b.caseId, 'scheduler');
      expect(historyOfB.map((e) => e.type)).toEqual([
        'CaseOpened',
        'VisitBookingStarted',
        'VisitPlanned',
        'ParticipantRemoved',
        'VisitConfirmed',
        'VisitBookingStarted',
        'VisitPlanned',
      ]);
    });
  });
}
