/**
 * The visit calendar as a calendar client reads it (ical.js, an independent parser): wall-clock times in
 * Europe/Berlin with its VTIMEZONE — right on the days the clocks change —, one UID per visit and SEQUENCE its
 * changes, STATUS after the visit's status, and nothing personal but the address, where the reader may see it.
 */
import { ERASED, WITHHELD } from '@buergerkoffer/shared/privacy';
import { afterEach, describe, expect, it } from 'vitest';
import { instantAt } from '../time/local-time.ts';
import { parseCalendar } from './ical.fixture.ts';
import { visitCalendar, visitUid } from './visit-calendar.ts';
import type { VisitEntry } from './visit-entry.ts';

const ZONE = 'Europe/Berlin';
const KIT = '0192f000-0000-7000-8000-00000000000a';
const STAFF = ['0192f000-0000-7000-8000-0000000000f1', '0192f000-0000-7000-8000-0000000000f2'];
const options = { name: 'Bürgerkoffer – Koffer 1', timeZone: ZONE, generatedAt: new Date('2027-03-01T07:30:00Z') };

let ids = 0;
const nextId = () => `0192f000-0000-7000-8000-${String(++ids).padStart(12, '0')}`;

/** A home visit of one case (id-card and registration), planned on the date from `from` to `to` local time. */
function visit(date: string, from: string, to: string, overrides: Partial<VisitEntry> = {}): VisitEntry {
  return {
    visitId: nextId(),
    status: 'planned',
    sequence: 0,
    date,
    start: instantAt(date, from, ZONE).toISOString(),
    end: instantAt(date, to, ZONE).toISOString(),
    kitId: KIT,
    staffIds: STAFF,
    place: { kind: 'home' },
    address: 'Hauptstraße 1, 44787 Bochum',
    participants: [{ caseId: nextId(), services: ['id-card', 'registration'] }],
    requiredDevices: ['camera', 'change-terminal', 'fingerprint-sensor', 'notebook', 'printer', 'signature-pad'],
    needsRescheduling: null,
    ...overrides,
  };
}

const only = (ics: string) => {
  const [event, ...more] = parseCalendar(ics).events;
  if (!event || more.length > 0) throw new Error(`expected one event, found ${more.length + (event ? 1 : 0)}`);
  return event;
};

describe('a calendar of visits in Europe/Berlin', () => {
  const processZone = process.env.TZ;
  afterEach(() => {
    if (processZone === undefined) delete process.env.TZ;
    else process.env.TZ = processZone;
  });

  it('carries the VTIMEZONE of Europe/Berlin and writes every time as a wall-clock time in it', () => {
    const ics = visitCalendar([visit('2027-03-30', '10:00', '11:30')], options);
    const calendar = parseCalendar(ics);
    expect(calendar.timeZones).toEqual([ZONE]);
    expect(calendar.name).toBe('Bürgerkoffer – Koffer 1');
    expect(ics).toContain('DTSTART;TZID=Europe/Berlin:20270330T100000');
    expect(ics).toContain('DTEND;TZID=Europe/Berlin:20270330T113000');
    // DTSTAMP in UTC, as RFC 5545 wants it.
    expect(ics).toContain('DTSTAMP:20270301T073000Z');
    expect(calendar.events[0]).toMatchObject({ tzid: ZONE, localStart: '10:00', localEnd: '11:30' });
  });

  it('keeps 10:00 at 10:00 on the day the clocks go forward (08:00Z) and on the day they go back (09:00Z)', () => {
    const spring = visit('2027-03-28', '10:00', '11:00');
    const autumn = visit('2026-10-25', '10:00', '11:00');
    const events = parseCalendar(visitCalendar([spring, autumn], options)).events;
    expect(events.map(({ localDate, localStart, start, end }) => ({ localDate, localStart, start, end }))).toEqual([
      {
        localDate: '2026-10-25',
        localStart: '10:00',
        start: '2026-10-25T09:00:00.000Z',
        end: '2026-10-25T10:00:00.000Z',
      },
      {
        localDate: '2027-03-28',
        localStart: '10:00',
        start: '2027-03-28T08:00:00.000Z',
        end: '2027-03-28T09:00:00.000Z',
      },
    ]);
  });

  it('is the same file whatever zone the process runs in', () => {
    const entries = [visit('2027-03-28', '10:00', '11:00'), visit('2026-10-25', '08:15', '09:00')];
    const probe = new Date('2027-03-28T08:00:00Z');
    process.env.TZ = 'UTC';
    const hourInUtc = probe.getHours();
    const inUtc = visitCalendar(entries, options);
    process.env.TZ = 'Pacific/Auckland';
    // The process's zone did change (native Dates would be written at other hours)…
    expect(probe.getHours()).not.toBe(hourInUtc);
    // …and the file did not.
    expect(visitCalendar(entries, options)).toBe(inUtc);
    expect(inUtc).toContain('DTSTART;TZID=Europe/Berlin:20270328T100000');
  });

  it('names each visit by its UID in every version of the file and counts its changes in SEQUENCE', () => {
    const planned = visit('2027-04-06', '09:00', '10:00');
    const before = only(visitCalendar([planned], options));
    const moved = { ...planned, sequence: 1, start: '2027-04-07T07:00:00.000Z', end: '2027-04-07T08:00:00.000Z' };
    const after = only(visitCalendar([moved], { ...options, generatedAt: new Date('2027-03-02T07:30:00Z') }));
    expect(before).toMatchObject({ uid: visitUid(planned.visitId), sequence: 0, localStart: '09:00' });
    expect(after).toMatchObject({
      uid: `${planned.visitId}@buergerkoffer`,
      sequence: 1,
      localDate: '2027-04-07',
      localStart: '09:00',
    });
  });

  it('shows a planned visit as TENTATIVE, a confirmed one as CONFIRMED, keeps a cancelled one as CANCELLED and leaves out visits being booked or refused', () => {
    const entries: VisitEntry[] = [
      visit('2027-04-06', '09:00', '10:00', { status: 'planned' }),
      visit('2027-04-06', '11:00', '12:00', { status: 'confirmed', sequence: 1 }),
      visit('2027-04-06', '13:00', '14:00', { status: 'cancelled', sequence: 2 }),
      visit('2027-04-06', '15:00', '16:00', { status: 'booking' }),
      visit('2027-04-06', '16:00', '17:00', { status: 'refused' }),
    ];
    const events = parseCalendar(visitCalendar(entries, options)).events;
    expect(events.map((e) => [e.uid, e.status])).toEqual([
      [visitUid(entries[0]?.visitId ?? ''), 'TENTATIVE'],
      [visitUid(entries[1]?.visitId ?? ''), 'CONFIRMED'],
      [visitUid(entries[2]?.visitId ?? ''), 'CANCELLED'],
    ]);
    // For clients that ignore STATUS in a subscription: the title says it, and the address is gone.
    expect(events[2]).toMatchObject({ summary: 'Abgesagt – Hausbesuch: id-card, registration', location: undefined });
  });

  it('lists the visits in the order of their start, whatever order they come in', () => {
    const late = visit('2027-04-06', '14:00', '15:00');
    const early = visit('2027-04-06', '09:00', '10:00');
    const next = visit('2027-04-05', '15:00', '16:00');
    const events = parseCalendar(visitCalendar([late, early, next], options)).events;
    expect(events.map((e) => e.uid)).toEqual([next, early, late].map((v) => visitUid(v.visitId)));
  });

  it('names no one: the title says the kind of visit and its services, or how many take part', () => {
    const home = visit('2027-04-06', '09:00', '10:00');
    const group = visit('2027-04-06', '11:00', '14:00', {
      place: { kind: 'institution', institutionId: nextId() },
      participants: Array.from({ length: 5 }, () => ({ caseId: nextId(), services: ['life-certificate'] })),
    });
    const events = parseCalendar(visitCalendar([home, group], options)).events;
    expect(events.map((e) => e.summary)).toEqual(['Hausbesuch: id-card, registration', 'Sammeltermin: 5 Teilnehmende']);
  });

  it('describes the services per case, the devices, the kit, the staff and the institution', () => {
    const institutionId = nextId();
    const entry = visit('2027-04-06', '11:00', '14:00', { place: { kind: 'institution', institutionId } });
    const { description } = only(visitCalendar([entry], options));
    const caseId = entry.participants[0]?.caseId ?? '';
    expect(description).toContain(`- Fall ${caseId}:`);
    expect(description).toContain(
      'id-card: Personalausweis (ID card) application (mitzubringen: old ID or birth certificate)',
    );
    expect(description).toContain(
      'Geräte: camera, change-terminal, fingerprint-sensor, notebook, printer, signature-pad',
    );
    expect(description).toContain(`Koffer: ${KIT}`);
    expect(description).toContain(`Personal: ${STAFF.join(', ')}`);
    expect(description).toContain(`Einrichtung: ${institutionId}`);
    expect(description).toContain('Status: geplant, noch nicht bestätigt');
  });

  it('says when a visit has to be moved', () => {
    const entry = visit('2027-04-06', '11:00', '12:00', { needsRescheduling: 'device-faulty' });
    expect(only(visitCalendar([entry], options)).description).toContain('Muss umgeplant werden: device-faulty');
  });

  it('shows the address as LOCATION where it is disclosed, and no LOCATION where it is withheld or erased', () => {
    const shown = visit('2027-04-06', '09:00', '10:00');
    const withheld = visit('2027-04-06', '11:00', '12:00', { address: WITHHELD });
    const erased = visit('2027-04-06', '13:00', '14:00', { address: ERASED });
    const ics = visitCalendar([shown, withheld, erased], options);
    const events = parseCalendar(ics).events;
    expect(events.map((e) => e.location)).toEqual(['Hauptstraße 1, 44787 Bochum', undefined, undefined]);
    expect(events[1]?.description).toContain('Adresse: nicht freigegeben');
    expect(ics).not.toContain(WITHHELD);
    expect(ics).not.toContain(ERASED);
  });

  it('is an empty calendar, with its name, when there is no visit', () => {
    const calendar = parseCalendar(visitCalendar([], options));
    expect(calendar).toMatchObject({ name: 'Bürgerkoffer – Koffer 1', events: [] });
  });
});
