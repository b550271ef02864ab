/**
 * Booking without races, as a specification run on every database the store runs on (PGlite embedded, the
 * PostgreSQL server): proposals, the booking, the refusals of overlapping bookings under concurrency, reschedule,
 * cancel, the flag of a visit whose kit broke, group appointments.
 */
import type { Sql } from '@buergerkoffer/shared/event-sourcing';
import { pollUntil } from '@buergerkoffer/shared/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SchedulingFixture, schedulingFixture } from './scheduling.fixture.ts';

/** A Monday in March 2027 (no holiday in NRW), ahead of any clock this runs on. */
const MONDAY = '2027-03-01';
const at = (time: string) => new Date(`${MONDAY}T${time}:00+01:00`).toISOString();
const HOME = { kind: 'home', address: 'Musterstraße 1, 44787 Bochum' } as const;

interface Proposal {
  date: string;
  start: string;
  end: string;
  localStart: string;
  kitId: string;
  staffIds: [string, string];
  caseIds: string[];
}

export function bookingSuite(makeSql: () => Promise<Sql | undefined>) {
  let s: SchedulingFixture;
  beforeAll(async () => {
    s = await schedulingFixture(await makeSql());
  }, 120_000);
  afterAll(async () => s.close());

  const inject: SchedulingFixture['request'] = (...args) => s.request(...args);
  const proposals = async (query: string) => {
    const response = await inject('GET', `/proposals?${query}&from=${MONDAY}`);
    expect(response.statusCode, response.body).toBe(200);
    return response.json<{ minutes: number; proposals: Proposal[]; remainingCaseIds: string[] }>();
  };
  const book = (caseIds: string[], slot: Pick<Proposal, 'kitId' | 'staffIds' | 'start' | 'end'>, key?: string) =>
    inject('POST', '/visits', {
      payload: { caseIds, kitId: slot.kitId, staffIds: slot.staffIds, start: slot.start, end: slot.end, place: HOME },
      ...(key ? { headers: { 'idempotency-key': key } } : {}),
    });
  /** The holds on a resource's day, from its calendar stream (the truth the bookings are decided on). */
  const holdsOn = (stream: string) => s.holdsOn(stream);

  describe('an approved case', () => {
    let kitId: string;
    let staff: [string, string];
    let caseId: string;
    beforeAll(async () => {
      kitId = await s.kit();
      staff = [await s.staff(), await s.staff()];
      caseId = await s.approvedCase({ services: ['id-card'] });
      await s.settled([caseId]);
    });

    it('gets the earliest slot: set-up, its services and pack-away, on the first working day', async () => {
      const found = await proposals(`caseId=${caseId}&limit=3`);
      expect(found.minutes).toBe(30 + 20 + 20);
      const [first] = found.proposals;
      expect(first).toMatchObject({ date: MONDAY, localStart: '08:00', start: at('08:00'), end: at('09:10') });
      expect(first?.caseIds).toEqual([caseId]);
    });

    it('is booked: 201 with Location and ETag, the visit planned; a repeat with the same key answers the same', async () => {
      const [first] = (await proposals(`caseId=${caseId}`)).proposals;
      if (!first) throw new Error('no proposal');
      const booked = await book([caseId], { ...first, kitId, staffIds: staff }, 'booking-1');
      expect(booked.statusCode, booked.body).toBe(201);
      expect(booked.headers.location).toMatch(/\/visits\/[0-9a-f-]{36}$/);
      expect(booked.headers.etag).toBe('W/"1"');
      const visit = booked.json<{
        visitId: string;
        status: string;
        place: { address: string };
        allowedActions: string[];
      }>();
      expect(visit).toMatchObject({ status: 'planned', place: { address: HOME.address } });
      expect(visit.allowedActions).toEqual(['confirm', 'reschedule', 'cancel', 'remove-participant']);
      const again = await book([caseId], { ...first, kitId, staffIds: staff }, 'booking-1');
      expect(again.statusCode).toBe(201);
      expect(again.json<{ visitId: string }>().visitId).toBe(visit.visitId);
      expect(await holdsOn(`kitCalendar-${kitId}.${MONDAY}`)).toHaveLength(1);
      // The address is sealed in the store.
      const [started] = await s.fixture.store.readStream(`visit-${visit.visitId}`, { limit: 1 });
      expect(JSON.stringify(started?.data)).not.toContain('Musterstraße');
    });

    it('leaves the next case the next slot after the travel buffer', async () => {
      const next = await s.approvedCase({ services: ['id-card'] });
      await s.settled([next]);
      await pollUntil(
        () => proposals(`caseId=${next}`),
        (found) => found.proposals[0]?.localStart !== '08:00',
        60_000,
        'the holds read model to show the first booking',
      ).then((found) => expect(found.proposals[0]?.localStart).toBe('09:45'));
    });
  });

  it('50 concurrent bookings of overlapping slots for one kit: exactly one 201, the rest 409 slot-taken naming the kit', async () => {
    const kitId = await s.kit();
    const staff = await Promise.all(Array.from({ length: 10 }, () => s.staff()));
    const cases = await Promise.all(Array.from({ length: 50 }, () => s.approvedCase()));
    await s.settled(cases);
    const answers = await Promise.all(
      cases.map((caseId, i) => {
        const first = staff[i % 10] ?? '';
        const second = staff[(i + 1 + (i % 9)) % 10] ?? '';
        const start = new Date(Date.parse(at('10:00')) + i * 60_000).toISOString();
        const end = new Date(Date.parse(start) + 80 * 60_000).toISOString();
        return book([caseId], {
          kitId,
          staffIds: [first, second === first ? (staff[(i + 2) % 10] ?? '') : second],
          start,
          end,
        });
      }),
    );
    const statuses = answers.map((a) => a.statusCode);
    expect(statuses.filter((code) => code === 201)).toHaveLength(1);
    expect(statuses.filter((code) => code === 409)).toHaveLength(49);
    for (const refused of answers.filter((a) => a.statusCode === 409)) {
      expect(refused.json()).toMatchObject({ code: 'slot-taken', resource: { kind: 'kit', id: kitId } });
    }
    expect(await holdsOn(`kitCalendar-${kitId}.${MONDAY}`)).toHaveLength(1);
    // A refused booking gives its case back at once: booked on another day, it is planned.
    const refused = cases[statuses.indexOf(409)] ?? '';
    const again = await book([refused], {
      kitId,
      staffIds: [staff[0] ?? '', staff[1] ?? ''],
      start: at('08:00').replace('03-01', '03-02'),
      end: at('09:20').replace('03-01', '03-02'),
    });
    expect(again.statusCode, again.body).toBe(201);
  });

  it('one case booked on two visits at once: exactly one 201, the other 409 case-planned-elsewhere', async () => {
    const kits = [await s.kit(), await s.kit()];
    const staff = await Promise.all(Array.from({ length: 4 }, () => s.staff()));
    const caseId = await s.approvedCase();
    await s.settled([caseId]);
    const answers = await Promise.all(
      [0, 1].map((i) =>
        book([caseId], {
          kitId: kits[i] ?? '',
          staffIds: [staff[2 * i] ?? '', staff[2 * i + 1] ?? ''],
          start: at('14:00'),
          end: at('15:30'),
        }),
      ),
    );
    expect(answers.map((a) => a.statusCode).sort()).toEqual([201, 409]);
    const refused = answers.find((a) => a.statusCode === 409);
    expect(refused?.json()).toMatchObject({ code: expect.stringMatching(/^case-(planned-elsewhere|not-plannable)$/) });
    const held = await Promise.all(kits.map((kit) => holdsOn(`kitCalendar-${kit}.${MONDAY}`)));
    expect(held.flat().filter((h) => h.start === at('14:00'))).toHaveLength(1);
  });

  it('one member of staff booked on two kits at once: exactly one 201', async () => {
    const kits = [await s.kit(), await s.kit()];
    const shared = await s.staff();
    const others = await Promise.all(Array.from({ length: 10 }, () => s.staff()));
    const cases = await Promise.all(Array.from({ length: 20 }, () => s.approvedCase()));
    await s.settled(cases);
    const answers = await Promise.all(
      cases.map((caseId, i) =>
        book([caseId], {
          kitId: kits[i % 2] ?? '',
          staffIds: [shared, others[i % 10] ?? ''],
          start: at('13:00'),
          end: at('14:30'),
        }),
      ),
    );
    const statuses = answers.map((a) => a.statusCode);
    expect(statuses.filter((code) => code === 201)).toHaveLength(1);
    expect(statuses.filter((code) => code === 409)).toHaveLength(19);
    expect(await holdsOn(`staffCalendar-${shared}.${MONDAY}`)).toHaveLength(1);
    // The kit of the booking that lost the person is free again (once the visit manager or the request let it go).
    const held = await Promise.all(kits.map((kit) => holdsOn(`kitCalendar-${kit}.${MONDAY}`)));
    expect(held.flat()).toHaveLength(1);
  });
}
