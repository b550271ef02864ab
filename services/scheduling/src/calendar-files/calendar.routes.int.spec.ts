/**
 * The calendar files over HTTP, on scheduling as a whole (visits booked, moved and cancelled through its API, the
 * read models running): a kit's and a field officer's iCalendar feeds as a client reads them (ical.js) — 10:00 on
 * the days the clocks change, UIDs that stay, SEQUENCE that counts, cancelled visits kept as CANCELLED, what
 * GET /visits/:id says — the addresses only to whom the policy discloses them, each read in the cases' access logs;
 * and a kit's day plan for the field team.
 */
import type { TestApp } from '@buergerkoffer/shared/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  answered,
  approvedCase,
  bookVisit,
  type Client,
  calendarApp,
  client,
  openEveryDay,
  registerKit,
  registerStaff,
  resourcesListed,
  visitListed,
} from './calendar-app.fixture.ts';
import { parseCalendar } from './ical.fixture.ts';
import { visitUid } from './visit-calendar.ts';

const HOME = 'Hauptstraße 1, 44787 Bochum';
const CARE_HOME = 'Seniorenzentrum am Park, Parkweg 5, 44789 Bochum';
const AUTUMN = '2026-10-25';
const SPRING = '2027-03-28';
const accessRecord = z.looseObject({ resource: z.string() });

describe('the calendar files over HTTP', () => {
  let fixture: TestApp;
  let api: Client;
  const kit: Record<'one' | 'two' | 'herne', string> = { one: '', two: '', herne: '' };
  const staff: Record<'a' | 'b' | 'c' | 'herne', string> = { a: '', b: '', c: '', herne: '' };
  const cases: Record<'home' | 'resident1' | 'resident2' | 'autumn' | 'other', string> = {
    home: '',
    resident1: '',
    resident2: '',
    autumn: '',
    other: '',
  };
  const visits: Record<'home' | 'group' | 'autumn' | 'other', { visitId: string; [k: string]: unknown }> = {
    home: { visitId: '' },
    group: { visitId: '' },
    autumn: { visitId: '' },
    other: { visitId: '' },
  };
  const institutionId = '0192f000-0000-7000-8000-0000000000e1';

  const kitCalendar = (kitId: string, query = 'from=2026-10-01&to=2027-04-30') =>
    `/kits/${kitId}/calendar.ics${query ? `?${query}` : ''}`;
  const eventOf = (ics: string, visitId: string) => {
    const event = parseCalendar(ics).events.find((e) => e.uid === visitUid(visitId));
    if (!event) throw new Error(`no event for visit ${visitId}`);
    return event;
  };
  const readsOf = async (caseId: string, resource: string) =>
    (await fixture.store.readStream(`caseAccess-${caseId}`)).filter(
      (event) => event.type === 'CaseRecordAccessed' && accessRecord.safeParse(event.data).data?.resource === resource,
    );

  beforeAll(async () => {
    fixture = await calendarApp();
    api = client(fixture);
    await openEveryDay(api);
    kit.one = await registerKit(api, 'Koffer 1');
    kit.two = await registerKit(api, 'Koffer 2');
    kit.herne = await registerKit(api, 'Koffer Herne', 'herne');
    staff.a = await registerStaff(api, 'A. Schmidt');
    staff.b = await registerStaff(api, 'B. Yılmaz');
    staff.c = await registerStaff(api, 'C. Nowak');
    staff.herne = await registerStaff(api, 'H. Herne', 'herne');
    await resourcesListed(api, [kit.one, kit.two], [staff.a, staff.b, staff.c]);

    const group = { groupRequestId: '0192f000-0000-7000-8000-0000000000a1', institutionId };
    cases.home = await approvedCase(fixture, ['id-card', 'registration']);
    cases.resident1 = await approvedCase(fixture, ['life-certificate'], group);
    cases.resident2 = await approvedCase(fixture, ['life-certificate', 'certified-copy'], group);
    cases.autumn = await approvedCase(fixture, ['registration-certificate']);
    cases.other = await approvedCase(fixture, ['passport']);

    const pair = [staff.a, staff.b] as const;
    visits.home = await bookVisit(api, {
      caseIds: [cases.home],
      kitId: kit.one,
      staffIds: pair,
      date: SPRING,
      from: '10:00',
      to: '11:30',
      place: { kind: 'home' },
      address: HOME,
    });
    visits.group = await bookVisit(api, {
      caseIds: [cases.resident1, cases.resident2],
      kitId: kit.one,
      staffIds: pair,
      date: SPRING,
      from: '13:00',
      to: '14:30',
      place: { kind: 'institution', institutionId },
      address: CARE_HOME,
    });
    visits.autumn = await bookVisit(api, {
      caseIds: [cases.autumn],
      kitId: kit.one,
      staffIds: pair,
      date: AUTUMN,
      from: '10:00',
      to: '11:00',
      place: { kind: 'home' },
      address: 'Am Ring 7, 44787 Bochum',
    });
    visits.other = await bookVisit(api, {
      caseIds: [cases.other],
      kitId: kit.two,
      staffIds: [staff.a, staff.c],
      date: '2027-03-31',
      from: '09:00',
      to: '10:30',
      place: { kind: 'other' },
      address: 'Rathaus, Willy-Brandt-Platz 2, 44787 Bochum',
    });
    for (const { visitId } of Object.values(visits)) await visitListed(fixture, visitId);
  });
  afterAll(async () => fixture?.close());

  describe("a kit's calendar", () => {
    it('is an iCalendar feed (text/calendar) of its visits with the VTIMEZONE of Europe/Berlin', async () => {
      const answer = await api.get(kitCalendar(kit.one), { role: 'scheduler' });
      expect(answer.status).toBe(200);
      expect(answer.headers['content-type']).toBe('text/calendar; charset=utf-8');
      const calendar = parseCalendar(answer.text);
      expect(calendar.timeZones).toEqual(['Europe/Berlin']);
      expect(calendar.name).toBe('Bürgerkoffer – Koffer 1');
      expect(calendar.events.map((e) => e.uid)).toEqual(
        [visits.autumn, visits.home, visits.group].map((v) => visitUid(v.visitId)),
      );
    });

    it('keeps 10:00 at 10:00 local on the days the clocks change: 08:00Z in spring, 09:00Z in autumn', async () => {
      const { text } = await api.get(kitCalendar(kit.one), { role: 'scheduler' });
      expect(eventOf(text, visits.home.visitId)).toMatchObject({
        tzid: 'Europe/Berlin',
        localDate: SPRING,
        localStart: '10:00',
        localEnd: '11:30',
        start: '2027-03-28T08:00:00.000Z',
        end: '2027-03-28T09:30:00.000Z',
      });
      expect(eventOf(text, visits.autumn.visitId)).toMatchObject({
        localDate: AUTUMN,
        localStart: '10:00',
        start: '2026-10-25T09:00:00.000Z',
      });
    });

    it('holds what GET /visits/:id says: the times, the kit, the staff, the sequence, the address', async () => {
      const { text } = await api.get(kitCalendar(kit.one), { role: 'scheduler' });
      for (const { visitId } of [visits.home, visits.group]) {
        const visit = answered(await api.get(`/visits/${visitId}`, { role: 'scheduler' }), 200, 'visit');
        const event = eventOf(text, visitId);
        expect(event).toMatchObject({
          start: new Date(visit.start).toISOString(),
          end: new Date(visit.end).toISOString(),
          localStart: visit.localStart,
          localEnd: visit.localEnd,
          sequence: visit.sequence,
          status: 'TENTATIVE',
          location: visit.place.address,
        });
        expect(event.description).toContain(`Koffer: ${visit.kitId}`);
        expect(event.description).toContain(`Personal: ${visit.staffIds.join(', ')}`);
        for (const { caseId } of visit.participants) expect(event.description).toContain(`Fall ${caseId}`);
      }
    });

    it('names no one in the titles', async () => {
      const { text } = await api.get(kitCalendar(kit.one), { role: 'scheduler' });
      expect(eventOf(text, visits.home.visitId).summary).toBe('Hausbesuch: id-card, registration');
      expect(eventOf(text, visits.group.visitId).summary).toBe('Sammeltermin: 2 Teilnehmende');
    });

    it('shows a field officer the addresses (no-store) and records the read in every participant case', async () => {
      const answer = await api.get(kitCalendar(kit.one), { role: 'field-officer' });
      expect(answer.status).toBe(200);
      expect(answer.headers['cache-control']).toBe('no-store');
      expect(eventOf(answer.text, visits.home.visitId).location).toBe(HOME);
      expect(eventOf(answer.text, visits.group.visitId).location).toBe(CARE_HOME);
      for (const caseId of [cases.home, cases.resident1, cases.resident2, cases.autumn]) {
        const reads = await readsOf(caseId, 'visit-calendar');
        expect(reads.map((r) => r.metadata.actor?.role)).toContain('field-officer');
      }
      // Not a case of this kit's.
      expect(await readsOf(cases.other, 'visit-calendar')).toEqual([]);
    });

    it('records a reader’s reads once a day, however often the calendar client fetches the feed', async () => {
      const reader = { role: 'field-officer' as const, tenantId: 'bochum' };
      await api.get(kitCalendar(kit.one), reader);
      const before = (await readsOf(cases.home, 'visit-calendar')).length;
      await api.get(kitCalendar(kit.one), reader);
      await api.get(kitCalendar(kit.one), reader);
      expect(await readsOf(cases.home, 'visit-calendar')).toHaveLength(before);
    });

    it('asks an auditor for the purpose of the read (400 without it)', async () => {
      const answer = await api.get(kitCalendar(kit.one), { role: 'auditor' });
      expect(answer.status).toBe(400);
      expect(answer.body.errors.map((e: { field: string }) => e.field)).toEqual(['querystring.purpose']);
    });

    it('shows an auditor auditing the addresses, the read recorded under the purpose and file', async () => {
      const answer = await api.get(kitCalendar(kit.one, 'from=2027-03-01&purpose=audit&reference=AZ%2042%2F2027'), {
        role: 'auditor',
      });
      expect(answer.status).toBe(200);
      expect(eventOf(answer.text, visits.home.visitId).location).toBe(HOME);
      const reads = await readsOf(cases.home, 'visit-calendar');
      expect(reads.map((r) => r.data)).toContainEqual(
        expect.objectContaining({ purpose: 'audit', reference: 'AZ 42/2027' }),
      );
    });

    it('shows no address to a reader whose purpose does not disclose addresses, and records no read', async () => {
      // An auditor who takes applications as well, reading for their case work: names and contacts, no homes.
      const reader = { roles: ['auditor', 'intake-agent'] as const };
      const answer = await api.get(kitCalendar(kit.one), { roles: [...reader.roles] });
      expect(answer.status).toBe(200);
      expect(answer.headers['cache-control']).toBe('private, no-cache');
      const events = parseCalendar(answer.text).events;
      expect(events).toHaveLength(3);
      expect(events.map((e) => e.location)).toEqual([undefined, undefined, undefined]);
      expect(answer.text).not.toContain('Hauptstraße');
      const reads = await readsOf(cases.home, 'visit-calendar');
      expect(reads.map((r) => r.metadata.actor?.id)).not.toContain('auditor+intake-agent-1');
    });

    it('covers a month back and three months ahead by default', async () => {
      const { text } = await api.get(kitCalendar(kit.one, ''), { role: 'scheduler' });
      // Today is 2027-03-01: the autumn visit is too long ago.
      expect(parseCalendar(text).events.map((e) => e.uid)).toEqual(
        [visits.home, visits.group].map((v) => visitUid(v.visitId)),
      );
    });

    it('refuses dates the wrong way round or more than a year apart (400 naming `to`)', async () => {
      for (const query of ['from=2027-04-01&to=2027-03-01', 'from=2027-01-01&to=2028-06-01', 'from=2027-02-30']) {
        const answer = await api.get(kitCalendar(kit.one, query), { role: 'scheduler' });
        expect(answer.status, query).toBe(400);
        expect(answer.body.code).toBe('validation');
      }
    });

    it("is 404 for a kit that does not exist and for another tenant's kit", async () => {
      const unknown = '0192f000-0000-7000-8000-00000000dead';
      expect((await api.get(kitCalendar(unknown), { role: 'scheduler' })).status).toBe(404);
      expect((await api.get(kitCalendar(kit.herne), { role: 'scheduler' })).status).toBe(404);
      expect((await api.get(kitCalendar(kit.one), { role: 'scheduler', tenantId: 'herne' })).status).toBe(404);
    });

    it('is refused to roles that neither plan, work nor check visits (403)', async () => {
      for (const role of ['intake-agent', 'eligibility-officer', 'kit-device'] as const) {
        expect((await api.get(kitCalendar(kit.one), { role })).status, role).toBe(403);
      }
    });
  });

  describe('a visit that changes', () => {
    let visitId: string;
    let caseId: string;
    const version = async (visit: string) =>
      (await api.get(`/visits/${visit}`, { role: 'scheduler' })).headers.etag as string;
    beforeAll(async () => {
      caseId = await approvedCase(fixture, ['eid-update']);
      const booked = await bookVisit(api, {
        caseIds: [caseId],
        kitId: kit.two,
        staffIds: [staff.b, staff.c],
        date: '2027-03-30',
        from: '09:00',
        to: '10:00',
        place: { kind: 'home' },
        address: 'Bergstraße 12, 44791 Bochum',
      });
      visitId = booked.visitId;
      await visitListed(fixture, visitId);
    });

    it('keeps its UID while SEQUENCE counts the move and the cancellation, and stays in the feed as CANCELLED', async () => {
      const feed = async () => eventOf((await api.get(kitCalendar(kit.two), { role: 'scheduler' })).text, visitId);
      const first = await feed();
      const again = await feed();
      expect(again).toEqual({ ...first, dtstamp: again.dtstamp });
      expect(first).toMatchObject({ uid: `${visitId}@buergerkoffer`, sequence: 0, status: 'TENTATIVE' });

      const moved = await api.post(
        `/visits/${visitId}/reschedule`,
        { role: 'scheduler' },
        {
          kitId: kit.two,
          staffIds: [staff.b, staff.c],
          start: '2027-03-30T09:00:00.000Z',
          end: '2027-03-30T10:00:00.000Z',
        },
        { 'if-match': await version(visitId) },
      );
      answered(moved, 200, 'reschedule');
      await visitListed(fixture, visitId, 1);
      const afterMove = await feed();
      expect(afterMove).toMatchObject({ uid: first.uid, sequence: 1, localStart: '11:00', status: 'TENTATIVE' });

      const cancelled = await api.post(
        `/visits/${visitId}/cancel`,
        { role: 'scheduler' },
        { reason: 'citizen-request' },
        { 'if-match': await version(visitId) },
      );
      answered(cancelled, 200, 'cancel');
      await visitListed(fixture, visitId, 2);
      const afterCancel = await feed();
      expect(afterCancel).toMatchObject({ uid: first.uid, sequence: 2, status: 'CANCELLED', location: undefined });
      expect(afterCancel.sequence).toBeGreaterThan(afterMove.sequence);

      // The field team's plan of that day lists it apart: nobody goes there.
      const plan = answered(await api.get(`/kits/${kit.two}/days/2027-03-30`, { role: 'field-officer' }), 200, 'plan');
      expect(plan.visits).toEqual([]);
      expect(plan.cancelled).toEqual([
        {
          visitId,
          start: '2027-03-30T09:00:00.000Z',
          end: '2027-03-30T10:00:00.000Z',
          localStart: '11:00',
          localEnd: '12:00',
        },
      ]);
    });
  });

  describe("a member of staff's calendar", () => {
    const staffCalendar = (staffId: string) => `/staff/${staffId}/calendar.ics?from=2026-10-01&to=2027-04-30`;

    it('holds their visits with any kit, and no one else’s', async () => {
      const mine = parseCalendar((await api.get(staffCalendar(staff.a), { role: 'field-officer' })).text);
      expect(mine.name).toBe('Bürgerkoffer – A. Schmidt');
      expect(mine.events.map((e) => e.uid)).toEqual(
        [visits.autumn, visits.home, visits.group, visits.other].map((v) => visitUid(v.visitId)),
      );
      const other = parseCalendar((await api.get(staffCalendar(staff.c), { role: 'field-officer' })).text);
      expect(other.events.map((e) => e.uid)).toContain(visitUid(visits.other.visitId));
      expect(other.events.map((e) => e.uid)).not.toContain(visitUid(visits.home.visitId));
    });

    it('shows the address to a field officer, at 10:00 local on the spring change day', async () => {
      const answer = await api.get(staffCalendar(staff.b), { role: 'field-officer' });
      expect(answer.headers['cache-control']).toBe('no-store');
      expect(eventOf(answer.text, visits.home.visitId)).toMatchObject({
        location: HOME,
        localStart: '10:00',
        start: '2027-03-28T08:00:00.000Z',
      });
    });

    it("is 404 for someone who does not exist and for another tenant's staff", async () => {
      const unknown = '0192f000-0000-7000-8000-00000000beef';
      expect((await api.get(staffCalendar(unknown), { role: 'scheduler' })).status).toBe(404);
      expect((await api.get(staffCalendar(staff.herne), { role: 'scheduler' })).status).toBe(404);
    });
  });

  describe("a kit's day plan", () => {
    const dayPlan = (kitId: string, date = SPRING, query = '') => `/kits/${kitId}/days/${date}${query}`;

    it('lists the day’s visits in order, with the services as the catalogue names them and every device the day needs', async () => {
      const answer = await api.get(dayPlan(kit.one), { role: 'field-officer' });
      expect(answer.status).toBe(200);
      expect(answer.headers['cache-control']).toBe('no-store');
      const plan = answer.body;
      expect(plan).toMatchObject({ kitId: kit.one, date: SPRING, timeZone: 'Europe/Berlin', cancelled: [] });
      expect(plan.visits.map((v: { visitId: string }) => v.visitId)).toEqual([
        visits.home.visitId,
        visits.group.visitId,
      ]);
      const [home, group] = plan.visits;
      expect(home).toMatchObject({
        status: 'planned',
        start: '2027-03-28T08:00:00.000Z',
        localStart: '10:00',
        localEnd: '11:30',
        place: { kind: 'home', address: HOME },
        staffIds: [staff.a, staff.b],
        participants: [
          {
            caseId: cases.home,
            services: [
              {
                id: 'id-card',
                name: 'Personalausweis (ID card) application',
                citizenBrings: 'old ID or birth certificate',
                minutes: 20,
              },
              expect.objectContaining({ id: 'registration', minutes: 15 }),
            ],
          },
        ],
        devicesNeeded: ['camera', 'change-terminal', 'fingerprint-sensor', 'notebook', 'printer', 'signature-pad'],
      });
      expect(group).toMatchObject({
        localStart: '13:00',
        place: { kind: 'institution', institutionId, address: CARE_HOME },
        devicesNeeded: ['printer', 'scanner'],
      });
      expect(group.participants.map((p: { caseId: string }) => p.caseId)).toEqual([cases.resident1, cases.resident2]);
      expect(plan.devicesNeeded).toEqual([
        'camera',
        'change-terminal',
        'fingerprint-sensor',
        'notebook',
        'printer',
        'scanner',
        'signature-pad',
      ]);
      expect(await readsOf(cases.resident2, 'day-plan')).toHaveLength(1);
    });

    it('withholds the addresses where the purpose does not disclose them, and records no read', async () => {
      const answer = await api.get(dayPlan(kit.one), { roles: ['auditor', 'intake-agent'] });
      expect(answer.status).toBe(200);
      expect(answer.body.visits.map((v: { place: { address: string } }) => v.place.address)).toEqual([
        '[withheld]',
        '[withheld]',
      ]);
      expect(answer.headers['cache-control']).toBe('private, no-cache');
    });

    it('shows an auditor auditing everything, and asks one who states no purpose for it (400)', async () => {
      const audited = await api.get(dayPlan(kit.one, SPRING, '?purpose=audit'), { role: 'auditor' });
      expect(audited.body.visits[0].place.address).toBe(HOME);
      expect((await api.get(dayPlan(kit.one), { role: 'auditor' })).status).toBe(400);
    });

    it('is an empty day where the kit has nothing to do', async () => {
      const answer = await api.get(dayPlan(kit.one, '2027-04-02'), { role: 'field-officer' });
      expect(answer.body).toEqual({
        kitId: kit.one,
        date: '2027-04-02',
        timeZone: 'Europe/Berlin',
        visits: [],
        cancelled: [],
        devicesNeeded: [],
      });
    });

    it("is 404 for another tenant's kit, and 400 for a date that does not exist", async () => {
      expect((await api.get(dayPlan(kit.herne), { role: 'field-officer' })).status).toBe(404);
      expect((await api.get(dayPlan(kit.one), { role: 'field-officer', tenantId: 'herne' })).status).toBe(404);
      expect((await api.get(dayPlan(kit.one, '2027-02-30'), { role: 'field-officer' })).status).toBe(400);
    });
  });
});
