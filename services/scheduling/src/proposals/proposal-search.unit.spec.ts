import { CATALOGUE } from '@buergerkoffer/shared/contracts';
import { describe, expect, it } from 'vitest';
import { addDays, instantAt, type LocalDate, localTimeOf, minutesOf, timeOfMinutes } from '../time/local-time.ts';
import {
  devicesFor,
  type SearchHold,
  type SearchInput,
  type SearchKit,
  type SearchParticipant,
  type SearchStaff,
  searchSlots,
  serviceMinutes,
  visitMinutes,
} from './proposal-search.ts';

const settings = {
  timeZone: 'Europe/Berlin',
  setupMinutes: 20,
  packAwayMinutes: 10,
  travelBufferMinutes: 30,
  slotStepMinutes: 30,
  horizonDays: 14,
};
const kit1 = '0192f0c4-7c1a-7000-8000-00000000c001';
const kit2 = '0192f0c4-7c1a-7000-8000-00000000c002';
const anna = '0192f0c4-7c1a-7000-8000-00000000d001';
const ben = '0192f0c4-7c1a-7000-8000-00000000d002';
const cem = '0192f0c4-7c1a-7000-8000-00000000d003';
const otherVisit = '0192f0c4-7c1a-7000-8000-0000000000f1';
const thisVisit = '0192f0c4-7c1a-7000-8000-0000000000f2';
const caseIds = Array.from({ length: 6 }, (_, i) => `0192f0c4-7c1a-7000-8000-0000000000a${i}`);
const caseA = caseIds[0] ?? '';

/** Monday 23 November 2026 (winter time, UTC+1). */
const monday = '2026-11-23';
const allDevicesOk = Object.fromEntries(
  [
    'notebook',
    'printer',
    'scanner',
    'fingerprint-sensor',
    'signature-pad',
    'camera',
    'lte-router',
    'change-terminal',
  ].map((device) => [device, 'ok' as const]),
);
const kit = (kitId: string, extra: Partial<SearchKit> = {}): SearchKit => ({
  kitId,
  status: 'in-service',
  devices: allDevicesOk,
  ...extra,
});
const weekdays = (from: string, to: string) => ({
  mon: [{ from, to }],
  tue: [{ from, to }],
  wed: [{ from, to }],
  thu: [{ from, to }],
  fri: [{ from, to }],
});
const staff = (staffId: string, extra: Partial<SearchStaff> = {}): SearchStaff => ({
  staffId,
  active: true,
  workingHours: weekdays('08:00', '16:00'),
  absences: [],
  ...extra,
});
const idCard: SearchParticipant = { caseId: caseA, services: ['id-card'] };
const minutes = visitMinutes(settings, [idCard]);

const input = (extra: Partial<SearchInput> = {}): SearchInput => ({
  settings,
  isWorkingDay: () => true,
  kits: [kit(kit1)],
  staff: [staff(anna), staff(ben)],
  holds: [],
  participants: [idCard],
  from: monday,
  notBefore: 0,
  limit: 3,
  ...extra,
});
/** The instant (ISO) of a local time on a date. */
const local = (date: LocalDate, time: string) => instantAt(date, time).toISOString();
const hold = (
  kind: 'kit' | 'staff',
  resourceId: string,
  from: string,
  to: string,
  extra: Partial<SearchHold> = {},
) => ({
  kind,
  resourceId,
  visitId: otherVisit,
  date: monday,
  start: instantAt(monday, from).getTime(),
  end: instantAt(monday, to).getTime(),
  bufferMinutes: 0,
  ...extra,
});
const firstSlot = (extra: Partial<SearchInput>) => {
  const [proposal] = searchSlots(input({ limit: 1, ...extra })).proposals;
  return proposal ? { ...proposal, at: localTimeOf(proposal.start) } : undefined;
};
const datesOf = (extra: Partial<SearchInput>) => [
  ...new Set(searchSlots(input({ limit: 1000, ...extra })).proposals.map((p) => p.date)),
];

describe('the length of a visit', () => {
  it('is set-up, the upper end of every participant’s services, and pack-away', () =>
    expect(
      visitMinutes(settings, [
        { caseId: caseA, services: ['id-card', 'registration'] },
        { caseId: caseIds[1] ?? '', services: ['life-certificate'] },
      ]),
    ).toBe(
      20 +
        10 +
        CATALOGUE['id-card'].typicalMinutes[1] +
        CATALOGUE.registration.typicalMinutes[1] +
        CATALOGUE['life-certificate'].typicalMinutes[1],
    ));
  it('counts 15 minutes for a service the catalogue does not know', () => {
    expect(serviceMinutes('tea-and-biscuits')).toBe(15);
    expect(visitMinutes(settings, [{ caseId: caseA, services: ['tea-and-biscuits'] }])).toBe(45);
  });
  it('is set-up and pack-away alone without participants', () => expect(visitMinutes(settings, [])).toBe(30));
});

describe('the devices of services', () => {
  it('are every device any of them needs, once each, sorted', () => {
    const expected = [...new Set([...CATALOGUE['id-card'].needs, ...CATALOGUE['certified-copy'].needs])].sort();
    expect(devicesFor(['id-card', 'certified-copy', 'id-card'])).toEqual(expected);
    expect(devicesFor(['certified-copy'])).toEqual(['printer', 'scanner']);
  });
  it('are none for a service the catalogue does not know, or no services', () => {
    expect(devicesFor(['tea-and-biscuits'])).toEqual([]);
    expect(devicesFor([])).toEqual([]);
  });
});

describe('a slot search', () => {
  describe('with a kit and two staff free all week', () => {
    it('proposes the earliest slots, a step apart, the visit’s length long', () => {
      const result = searchSlots(input());
      expect(result.proposals).toEqual(
        ['08:00', '08:30', '09:00'].map((time) => ({
          date: monday,
          start: local(monday, time),
          end: new Date(instantAt(monday, time).getTime() + minutes * 60_000).toISOString(),
          kitId: kit1,
          staffIds: [anna, ben],
          caseIds: [caseA],
        })),
      );
      expect(result).toMatchObject({ minutes, requiredDevices: devicesFor(['id-card']), remaining: [] });
    });
    it('proposes no more than the limit', () => {
      expect(searchSlots(input({ limit: 2 })).proposals).toHaveLength(2);
      expect(searchSlots(input({ limit: 0 })).proposals).toEqual([]);
    });
    it('ends the day’s slots by the end of working hours', () => {
      const day = searchSlots(input({ limit: 1000 })).proposals.filter((p) => p.date === monday);
      const lastEnd = Math.max(...day.map((p) => minutesOf(localTimeOf(p.end))));
      expect(lastEnd).toBeLessThanOrEqual(minutesOf('16:00'));
      expect(lastEnd).toBeGreaterThan(minutesOf('16:00') - settings.slotStepMinutes);
    });
    it('proposes nothing before now', () => {
      expect(firstSlot({ notBefore: instantAt(monday, '10:10').getTime() })).toMatchObject({
        date: monday,
        at: '10:30',
      });
      expect(firstSlot({ notBefore: instantAt(monday, '16:00').getTime() })).toMatchObject({
        date: '2026-11-24',
        at: '08:00',
      });
    });
    it('tries the preferred dates first, in date order, then every date from the first', () =>
      expect(datesOf({ preferredDates: ['2026-11-26', '2026-11-25', '2026-11-26'] }).slice(0, 5)).toEqual([
        '2026-11-25',
        '2026-11-26',
        '2026-11-23',
        '2026-11-24',
        '2026-11-27',
      ]));
    it('ignores preferred dates before the first date or beyond the horizon', () => {
      const dates = datesOf({ preferredDates: ['2026-11-20', '2026-12-31'] });
      expect(dates[0]).toBe(monday);
      expect(dates).not.toContain('2026-11-20');
      expect(dates).not.toContain('2026-12-31');
    });
    it('looks no further than the horizon', () => {
      const dates = datesOf({});
      expect(dates.at(-1)).toBe(addDays(monday, settings.horizonDays));
      expect(datesOf({ settings: { ...settings, horizonDays: 2 } })).toEqual([monday, '2026-11-24', '2026-11-25']);
    });
  });

  describe('on days that are not working days', () => {
    it('skips a public holiday, as the tenant’s calendar says', () => {
      const asked: string[] = [];
      const slot = firstSlot({
        isWorkingDay: (date) => {
          asked.push(date);
          return date !== monday;
        },
      });
      expect(slot).toMatchObject({ date: '2026-11-24', at: '08:00' });
      expect(asked).toContain(monday);
    });
    it('skips a weekend without working hours', () =>
      expect(firstSlot({ from: '2026-11-28' })).toMatchObject({ date: '2026-11-30', at: '08:00' }));
    it('proposes nothing within the horizon when no day works', () =>
      expect(searchSlots(input({ isWorkingDay: () => false })).proposals).toEqual([]));
  });

  describe('on the days the clock changes (a working Sunday)', () => {
    const sundays = { ...weekdays('08:00', '16:00'), sun: [{ from: '08:00', to: '16:00' }] };
    const onSunday = (date: string) =>
      searchSlots(
        input({
          from: date,
          limit: 40,
          staff: [staff(anna, { workingHours: sundays }), staff(ben, { workingHours: sundays })],
        }),
      )
        .proposals.filter((p) => p.date === date)
        .map((p) => p.start);
    it('keeps wall-clock times on the last Sunday of March (UTC+2 from 03:00)', () => {
      const starts = onSunday('2027-03-28');
      expect(starts[0]).toBe('2027-03-28T06:00:00.000Z');
      expect(starts).toContain('2027-03-28T08:00:00.000Z'); // 10:00 local
    });
    it('keeps wall-clock times on the last Sunday of October (UTC+1 from 03:00)', () => {
      const starts = onSunday('2026-10-25');
      expect(starts[0]).toBe('2026-10-25T07:00:00.000Z');
      expect(starts).toContain('2026-10-25T09:00:00.000Z'); // 10:00 local
    });
  });

  describe('on a summer day after the clock change', () => {
    it('proposes the local wall-clock time', () =>
      expect(firstSlot({ from: '2027-03-29' })).toMatchObject({
        date: '2027-03-29',
        start: '2027-03-29T06:00:00.000Z',
      }));
  });

  describe('with the kit held by another visit', () => {
    it('keeps the tenant’s travel buffer free after the hold', () =>
      expect(firstSlot({ holds: [hold('kit', kit1, '08:00', '09:00')] })).toMatchObject({ at: '09:30' }));
    it('keeps the hold’s own larger buffer', () =>
      expect(firstSlot({ holds: [hold('kit', kit1, '08:00', '09:00', { bufferMinutes: 60 })] })).toMatchObject({
        at: '10:00',
      }));
    it('keeps the buffer free before the hold as well', () =>
      expect(firstSlot({ holds: [hold('kit', kit1, '08:45', '10:00')] })).toMatchObject({ at: '10:30' }));
    it('takes another kit that is free', () =>
      expect(firstSlot({ kits: [kit(kit1), kit(kit2)], holds: [hold('kit', kit1, '08:00', '09:00')] })).toMatchObject({
        at: '08:00',
        kitId: kit2,
      }));
    it('minds a hold on that day only', () =>
      expect(firstSlot({ holds: [hold('kit', kit1, '08:00', '09:00', { date: '2026-11-24' })] })).toMatchObject({
        date: monday,
        at: '08:00',
      }));
    it('ignores the holds of the visit being rescheduled', () =>
      expect(
        firstSlot({ holds: [hold('kit', kit1, '08:00', '09:00', { visitId: thisVisit })], ignoreVisitId: thisVisit }),
      ).toMatchObject({ at: '08:00', kitId: kit1 }));
  });

  describe('with a member of staff held by another visit', () => {
    it('waits for the travel buffer after the hold', () =>
      expect(firstSlot({ holds: [hold('staff', anna, '08:00', '09:00')] })).toMatchObject({
        at: '09:30',
        staffIds: [anna, ben],
      }));
    it('takes two others who are free', () =>
      expect(
        firstSlot({ staff: [staff(anna), staff(ben), staff(cem)], holds: [hold('staff', anna, '08:00', '09:00')] }),
      ).toMatchObject({ at: '08:00', staffIds: [ben, cem] }));
    it('is not confused by a kit with the same id', () =>
      expect(firstSlot({ holds: [hold('kit', anna, '08:00', '09:00')] })).toMatchObject({ at: '08:00' }));
  });

  describe('with staff working other hours', () => {
    it('starts when both are at work', () =>
      expect(
        firstSlot({ staff: [staff(anna), staff(ben, { workingHours: weekdays('10:00', '16:00') })] }),
      ).toMatchObject({ date: monday, at: '10:00' }));
    it('proposes only slots that fit in one working interval of each', () => {
      const split = {
        ...weekdays('08:00', '16:00'),
        mon: [
          { from: '08:00', to: '12:00' },
          { from: '13:00', to: '16:00' },
        ],
      };
      const day = searchSlots(input({ limit: 1000, staff: [staff(anna, { workingHours: split }), staff(ben)] }))
        .proposals.filter((p) => p.date === monday)
        .map((p) => [minutesOf(localTimeOf(p.start)), minutesOf(localTimeOf(p.end))] as const);
      const inside = ([start, end]: readonly [number, number]) =>
        (start >= minutesOf('08:00') && end <= minutesOf('12:00')) ||
        (start >= minutesOf('13:00') && end <= minutesOf('16:00'));
      expect(day.filter((slot) => !inside(slot))).toEqual([]);
      expect(day.map(([start]) => timeOfMinutes(start))).toContain('13:00');
    });
    it('finds no one on a weekday neither works', () => {
      const noMonday = { ...weekdays('08:00', '16:00'), mon: [] };
      expect(firstSlot({ staff: [staff(anna), staff(ben, { workingHours: noMonday })] })).toMatchObject({
        date: '2026-11-24',
      });
    });
  });

  describe('with staff absent or inactive', () => {
    it('skips the days of an absence, both ends included', () =>
      expect(
        firstSlot({ staff: [staff(anna), staff(ben, { absences: [{ from: monday, to: '2026-11-24' }] })] }),
      ).toMatchObject({ date: '2026-11-25', at: '08:00' }));
    it('never proposes an inactive member of staff', () => {
      expect(firstSlot({ staff: [staff(anna), staff(ben, { active: false }), staff(cem)] })).toMatchObject({
        staffIds: [anna, cem],
      });
      expect(searchSlots(input({ staff: [staff(anna), staff(ben, { active: false })] })).proposals).toEqual([]);
    });
  });

  describe('with one member of staff', () => {
    it('proposes nothing: a visit needs two', () =>
      expect(searchSlots(input({ staff: [staff(anna)] })).proposals).toEqual([]));
  });

  describe('with kits not fit for the services', () => {
    const printerFaulty = kit(kit1, { devices: { ...allDevicesOk, printer: 'faulty' } });

    it('takes a kit whose needed devices all work', () =>
      expect(firstSlot({ kits: [printerFaulty, kit(kit2)] })).toMatchObject({ kitId: kit2 }));
    it('does not take a kit that lacks a needed device', () => {
      const { camera: _camera, ...withoutCamera } = allDevicesOk;
      expect(firstSlot({ kits: [kit(kit1, { devices: withoutCamera }), kit(kit2)] })).toMatchObject({ kitId: kit2 });
    });
    it('does not take a kit out of service', () =>
      expect(firstSlot({ kits: [kit(kit1, { status: 'withdrawn' }), kit(kit2)] })).toMatchObject({ kitId: kit2 }));
    it('takes a kit with a faulty device the services do not need', () =>
      expect(firstSlot({ kits: [kit(kit1, { devices: { ...allDevicesOk, scanner: 'faulty' } })] })).toMatchObject({
        kitId: kit1,
      }));
    it('proposes nothing without a fit kit, but says which devices are needed', () => {
      const result = searchSlots(input({ kits: [printerFaulty] }));
      expect(result.proposals).toEqual([]);
      expect(result.requiredDevices).toEqual(devicesFor(['id-card']));
    });
  });

  describe('for a group too large for one day', () => {
    const group = caseIds.map((caseId) => ({ caseId, services: ['id-card'] }));
    /** A working day just long enough for set-up, three ID cards and pack-away. */
    const threeFit = visitMinutes(settings, group.slice(0, 3));
    const shortDay = weekdays('08:00', timeOfMinutes(minutesOf('08:00') + threeFit));

    it('plans as many participants as fit, in the order given, and leaves the rest', () => {
      const result = searchSlots(
        input({
          participants: group,
          staff: [staff(anna, { workingHours: shortDay }), staff(ben, { workingHours: shortDay })],
        }),
      );
      expect(result.remaining).toEqual(caseIds.slice(3));
      expect(result.minutes).toBe(threeFit);
      expect(result.proposals[0]).toMatchObject({ start: local(monday, '08:00'), caseIds: caseIds.slice(0, 3) });
    });
    it('measures the day by the staff who can work, not by an inactive member’s longer hours', () => {
      // Known bug (reported, not fixed here): longestShift() reads every member's hours, active or not, so the
      // group is not split and nothing is proposed — remaining is [] although no one can serve all six.
      const result = searchSlots(
        input({
          participants: group,
          staff: [
            staff(anna, { workingHours: shortDay }),
            staff(ben, { workingHours: shortDay }),
            staff(cem, { active: false }),
          ],
        }),
      );
      expect(result.remaining).toEqual(caseIds.slice(3));
      expect(result.proposals[0]).toMatchObject({ caseIds: caseIds.slice(0, 3) });
    });
    it('leaves none when all fit', () =>
      expect(searchSlots(input({ participants: group.slice(0, 3) })).remaining).toEqual([]));
    it('keeps a single participant whose services alone do not fit, and proposes nothing', () => {
      const result = searchSlots(
        input({
          participants: [{ caseId: caseA, services: ['id-card', 'passport', 'registration'] }],
          staff: [
            staff(anna, { workingHours: weekdays('08:00', '09:00') }),
            staff(ben, { workingHours: weekdays('08:00', '09:00') }),
          ],
        }),
      );
      expect(result.minutes).toBeGreaterThan(60);
      expect(result.remaining).toEqual([]);
      expect(result.proposals).toEqual([]);
    });
  });
});
