import { DeciderSpecification } from '@buergerkoffer/shared/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type CalendarCommand,
  type CalendarState,
  calendarDecider,
  overlaps,
  toCalendarStreamName,
  toKitCalendarStreamName,
  toStaffCalendarStreamName,
} from './calendar.decider.ts';
import { HoldReleased, SlotTaken } from './calendar.errors.ts';
import type { CalendarEvent, ResourceRef } from './calendar.events.ts';

const spec = DeciderSpecification.for(calendarDecider);
const kitId = '0192f0c4-7c1a-7000-8000-00000000c001';
const staffId = '0192f0c4-7c1a-7000-8000-00000000d001';
const kit: ResourceRef = { kind: 'kit', id: kitId };
const date = '2026-11-25';
const visitA = '0192f0c4-7c1a-7000-8000-0000000000a1';
const visitB = '0192f0c4-7c1a-7000-8000-0000000000b2';
const now = '2026-11-20T09:00:00.000Z';
const later = '2026-11-21T09:00:00.000Z';
/** 25 November 2026 in UTC: the day's times as instants. */
const at = (time: string) => `${date}T${time}:00.000Z`;

const reserve = (
  visitId: string,
  holdId: string,
  from: string,
  to: string,
  bufferMinutes = 0,
): Extract<CalendarCommand, { type: 'Reserve' }> => ({
  type: 'Reserve',
  resource: kit,
  date,
  holdId,
  visitId,
  start: at(from),
  end: at(to),
  bufferMinutes,
  now,
});
const reserved = (command: Extract<CalendarCommand, { type: 'Reserve' }>): CalendarEvent => ({
  type: 'ResourceReserved',
  data: {
    resource: command.resource,
    date: command.date,
    holdId: command.holdId,
    visitId: command.visitId,
    start: command.start,
    end: command.end,
    bufferMinutes: command.bufferMinutes,
    reservedAt: command.now,
  },
});
const release = (visitId: string, holdId: string): Extract<CalendarCommand, { type: 'Release' }> => ({
  type: 'Release',
  resource: kit,
  date,
  holdId,
  visitId,
  now: later,
});
const released = (visitId: string, holdId: string): CalendarEvent => ({
  type: 'ResourceReleased',
  data: { resource: kit, date, holdId, visitId, releasedAt: later },
});

/** Visit A holds the kit from 10:00 to 11:00 with a 30-minute travel buffer. */
const heldByA = reserve(visitA, `${visitA}:1`, '10:00', '11:00', 30);

describe('a resource calendar', () => {
  it('lives in kitCalendar-<kitId>.<date> or staffCalendar-<staffId>.<date>', () => {
    expect(toKitCalendarStreamName(kitId, date)).toBe(`kitCalendar-${kitId}.${date}`);
    expect(toStaffCalendarStreamName(staffId, date)).toBe(`staffCalendar-${staffId}.${date}`);
    expect(toCalendarStreamName(kit, date)).toBe(`kitCalendar-${kitId}.${date}`);
    expect(toCalendarStreamName({ kind: 'staff', id: staffId }, date)).toBe(`staffCalendar-${staffId}.${date}`);
  });
  it('names no stream for something that is not a date', () => {
    expect(() => toKitCalendarStreamName(kitId, '25.11.2026')).toThrow(RangeError);
  });

  describe('of an empty day', () => {
    it('records the hold', () =>
      spec
        .given([])
        .when(heldByA)
        .then([reserved(heldByA)]));
    it('holds it afterwards', () =>
      spec
        .given([])
        .when(heldByA)
        .thenState({
          holds: [{ holdId: heldByA.holdId, visitId: visitA, start: at('10:00'), end: at('11:00'), bufferMinutes: 30 }],
          released: [],
        }));
    it('refuses a hold that does not end after it starts', () => {
      spec
        .given([])
        .when(reserve(visitA, `${visitA}:1`, '11:00', '11:00'))
        .thenThrows(RangeError, /ends after it starts/);
      spec
        .given([])
        .when(reserve(visitA, `${visitA}:1`, '11:00', '10:00'))
        .thenThrows(RangeError, /ends after it starts/);
    });
    it('records a release of a hold it never had, as a tombstone', () =>
      spec
        .given([])
        .when(release(visitA, `${visitA}:1`))
        .then([released(visitA, `${visitA}:1`)]));
  });

  describe('with a hold of another visit', () => {
    const given = [reserved(heldByA)];

    it('refuses an overlapping time as taken, naming the resource', () => {
      spec
        .given(given)
        .when(reserve(visitB, `${visitB}:1`, '10:30', '11:30'))
        .thenThrows(
          (error) => error instanceof SlotTaken && error.resource.id === kitId && error.code === 'slot-taken',
        );
    });
    it('refuses a time that encloses the hold', () =>
      spec
        .given(given)
        .when(reserve(visitB, `${visitB}:1`, '09:00', '12:00'))
        .thenThrows(SlotTaken));
    it('keeps the hold’s travel buffer free after it', () => {
      spec
        .given(given)
        .when(reserve(visitB, `${visitB}:1`, '11:15', '12:00'))
        .thenThrows(SlotTaken, /travel buffer 30 min/);
      const after = reserve(visitB, `${visitB}:1`, '11:30', '12:00');
      spec
        .given(given)
        .when(after)
        .then([reserved(after)]);
    });
    it('keeps the hold’s travel buffer free before it', () => {
      spec
        .given(given)
        .when(reserve(visitB, `${visitB}:1`, '09:00', '09:45'))
        .thenThrows(SlotTaken);
      const before = reserve(visitB, `${visitB}:1`, '09:00', '09:30');
      spec
        .given(given)
        .when(before)
        .then([reserved(before)]);
    });
    it('keeps the larger of the two travel buffers free (the newcomer’s)', () => {
      // A's own buffer (30) would allow 11:30; B needs 60 minutes between its visits.
      spec
        .given(given)
        .when(reserve(visitB, `${visitB}:1`, '11:30', '12:30', 60))
        .thenThrows(SlotTaken, /travel buffer 60 min/);
      const farEnough = reserve(visitB, `${visitB}:1`, '12:00', '12:30', 60);
      spec
        .given(given)
        .when(farEnough)
        .then([reserved(farEnough)]);
    });
    it('allows back-to-back holds when neither keeps a buffer', () => {
      const first = reserve(visitA, `${visitA}:1`, '10:00', '11:00');
      const next = reserve(visitB, `${visitB}:1`, '11:00', '12:00');
      spec
        .given([reserved(first)])
        .when(next)
        .then([reserved(next)]);
    });
    it('records the hold at a time clear of it', () => {
      const afternoon = reserve(visitB, `${visitB}:1`, '14:00', '15:00', 30);
      spec
        .given(given)
        .when(afternoon)
        .then([reserved(afternoon)]);
    });
    it('is free again once the hold is released', () => {
      const same = reserve(visitB, `${visitB}:1`, '10:00', '11:00');
      spec
        .given([...given, released(visitA, heldByA.holdId)])
        .when(same)
        .then([reserved(same)]);
    });
  });

  describe('with a hold of the same visit', () => {
    const given = [reserved(heldByA)];

    it('does nothing for the same hold again', () => spec.given(given).when(heldByA).then([]));
    it('does nothing for the same hold again with another buffer', () =>
      spec
        .given(given)
        .when({ ...heldByA, bufferMinutes: 45, now: later })
        .then([]));
    it('refuses the same hold id for another time', () => {
      spec
        .given(given)
        .when(reserve(visitA, heldByA.holdId, '10:00', '11:30', 30))
        .thenThrows(RangeError, /held for another time/);
      spec
        .given(given)
        .when(reserve(visitA, heldByA.holdId, '09:30', '11:00', 30))
        .thenThrows(RangeError, /held for another time/);
    });
    it('lets the visit’s next allocation overlap its earlier one (a reschedule holds anew, then lets go)', () => {
      const moved = reserve(visitA, `${visitA}:2`, '10:30', '11:30', 30);
      spec
        .given(given)
        .when(moved)
        .then([reserved(moved)]);
    });
    it('still refuses another visit in the time of either allocation', () => {
      const moved = reserve(visitA, `${visitA}:2`, '12:00', '13:00', 30);
      spec
        .given([...given, reserved(moved)])
        .when(reserve(visitB, `${visitB}:1`, '12:30', '13:30'))
        .thenThrows(SlotTaken);
    });
    it('releases the hold and remembers it as released', () => {
      spec
        .given(given)
        .when(release(visitA, heldByA.holdId))
        .then([released(visitA, heldByA.holdId)]);
      spec
        .given(given)
        .when(release(visitA, heldByA.holdId))
        .thenState({ holds: [], released: [heldByA.holdId] });
    });
  });

  describe('with a released hold', () => {
    const given = [reserved(heldByA), released(visitA, heldByA.holdId)];

    it('never takes the hold again (a late retry holds nothing)', () =>
      spec.given(given).when(heldByA).thenThrows(HoldReleased));
    it('does nothing for a second release', () => spec.given(given).when(release(visitA, heldByA.holdId)).then([]));
  });

  describe('with a tombstone of a hold it never had', () => {
    const given = [released(visitA, heldByA.holdId)];

    it('refuses the hold when its reservation comes late', () =>
      spec
        .given(given)
        .when(heldByA)
        .thenThrows((error) => error instanceof HoldReleased && error.code === 'hold-released'));
    it('does nothing for a second release', () => spec.given(given).when(release(visitA, heldByA.holdId)).then([]));
    it('still takes other holds of the same visit', () => {
      const next = reserve(visitA, `${visitA}:2`, '10:00', '11:00');
      spec
        .given(given)
        .when(next)
        .then([reserved(next)]);
    });
  });

  describe('overlap', () => {
    it('is symmetric', () => {
      const a = { start: at('10:00'), end: at('11:00'), bufferMinutes: 15 };
      const b = { start: at('11:10'), end: at('12:00'), bufferMinutes: 0 };
      expect(overlaps(a, b)).toBe(true);
      expect(overlaps(b, a)).toBe(true);
      expect(overlaps(a, { ...b, start: at('11:15') })).toBe(false);
      expect(overlaps({ ...b, start: at('11:15') }, a)).toBe(false);
    });
  });
});

describe('any sequence of reservations and releases', () => {
  const visits = [visitA, visitB, '0192f0c4-7c1a-7000-8000-0000000000c3'] as const;
  /** Quarter hours of the day, 06:00 to 20:00. */
  const quarter = (n: number) => new Date(Date.parse(at('06:00')) + n * 15 * 60_000).toISOString();
  const reservation = fc
    .record({
      visit: fc.constantFrom(...visits),
      allocation: fc.integer({ min: 1, max: 3 }),
      from: fc.integer({ min: 0, max: 52 }),
      length: fc.integer({ min: 1, max: 8 }),
      bufferMinutes: fc.constantFrom(0, 15, 30, 60),
    })
    .map(
      ({ visit, allocation, from, length, bufferMinutes }): CalendarCommand => ({
        type: 'Reserve',
        resource: kit,
        date,
        holdId: `${visit}:${allocation}`,
        visitId: visit,
        start: quarter(from),
        end: quarter(from + length),
        bufferMinutes,
        now,
      }),
    );
  const releasing = fc
    .record({ visit: fc.constantFrom(...visits), allocation: fc.integer({ min: 1, max: 3 }) })
    .map(({ visit, allocation }): CalendarCommand => release(visit, `${visit}:${allocation}`));

  const apply = (commands: readonly CalendarCommand[]): CalendarState =>
    commands.reduce((state, command) => {
      try {
        return calendarDecider.decide(command, state).reduce(calendarDecider.evolve, state);
      } catch {
        return state; // refused: nothing recorded
      }
    }, calendarDecider.initialState());

  it('leaves no two holds of different visits overlapping, buffers included', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(reservation, releasing), { maxLength: 40 }), (commands) => {
        const { holds } = apply(commands);
        for (const [i, a] of holds.entries()) {
          for (const b of holds.slice(i + 1)) {
            if (a.visitId !== b.visitId) expect(overlaps(a, b), `${a.holdId} and ${b.holdId}`).toBe(false);
          }
        }
      }),
      { numRuns: 500 },
    );
  });
  it('holds each hold id at most once, and never a released one', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(reservation, releasing), { maxLength: 40 }), (commands) => {
        const { holds, released: gone } = apply(commands);
        const ids = holds.map((hold) => hold.holdId);
        expect(new Set(ids).size).toBe(ids.length);
        expect(ids.filter((id) => gone.includes(id))).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });
});
