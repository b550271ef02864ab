import { describe, expect, it } from 'vitest';
import {
  addDays,
  DEFAULT_TIME_ZONE,
  instantAt,
  isLocalDate,
  localDateOf,
  localTimeOf,
  minutesOf,
  timeOfMinutes,
  weekdayOf,
} from './local-time.ts';

const iso = (date: Date) => date.toISOString();

describe('wall-clock time in Europe/Berlin', () => {
  it('is the default zone', () => expect(DEFAULT_TIME_ZONE).toBe('Europe/Berlin'));

  describe('on an ordinary winter day', () => {
    it('is one hour ahead of UTC', () =>
      expect(iso(instantAt('2026-11-25', '10:00'))).toBe('2026-11-25T09:00:00.000Z'));
  });

  describe('on an ordinary summer day', () => {
    it('is two hours ahead of UTC', () =>
      expect(iso(instantAt('2026-07-01', '10:00'))).toBe('2026-07-01T08:00:00.000Z'));
  });

  describe('on the spring change (Sunday 28 March 2027)', () => {
    it('is summer time at 10:00 already', () =>
      expect(iso(instantAt('2027-03-28', '10:00'))).toBe('2027-03-28T08:00:00.000Z'));
    it('is winter time before the change', () =>
      expect(iso(instantAt('2027-03-28', '01:30'))).toBe('2027-03-28T00:30:00.000Z'));
    it('moves a time the clock skips (02:30) forward by the hour skipped, to 03:30 summer time', () => {
      const skipped = instantAt('2027-03-28', '02:30');
      expect(iso(skipped)).toBe('2027-03-28T01:30:00.000Z');
      expect(localDateOf(skipped)).toBe('2027-03-28');
      expect(localTimeOf(skipped)).toBe('03:30');
    });
    it('has a day of 23 hours', () =>
      expect(instantAt('2027-03-29', '00:00').getTime() - instantAt('2027-03-28', '00:00').getTime()).toBe(
        23 * 3_600_000,
      ));
  });

  describe('on the autumn change (Sunday 25 October 2026)', () => {
    it('is winter time at 10:00 already', () =>
      expect(iso(instantAt('2026-10-25', '10:00'))).toBe('2026-10-25T09:00:00.000Z'));
    it('takes a repeated time (02:30) at its first occurrence, in summer time', () =>
      expect(iso(instantAt('2026-10-25', '02:30'))).toBe('2026-10-25T00:30:00.000Z'));
    it('has a day of 25 hours', () =>
      expect(instantAt('2026-10-26', '00:00').getTime() - instantAt('2026-10-25', '00:00').getTime()).toBe(
        25 * 3_600_000,
      ));
  });

  describe('in another zone', () => {
    it('reads the time on that zone’s clock', () =>
      expect(iso(instantAt('2026-11-25', '10:00', 'America/New_York'))).toBe('2026-11-25T15:00:00.000Z'));
  });

  describe('of something that is not a date', () => {
    it('has no instant', () => expect(() => instantAt('2026-02-30', '10:00')).toThrow(RangeError));
    it('has no weekday', () => expect(() => weekdayOf('2026-02-30')).toThrow(RangeError));
  });
});

describe('an instant', () => {
  it('falls on the local date, which may be the next day in UTC terms', () => {
    expect(localDateOf('2026-11-24T23:30:00.000Z')).toBe('2026-11-25');
    expect(localDateOf(new Date('2026-11-24T22:59:00.000Z'))).toBe('2026-11-24');
  });
  it('shows the local wall-clock time, across the changes', () => {
    expect(localTimeOf('2026-10-25T09:00:00.000Z')).toBe('10:00');
    expect(localTimeOf('2027-03-28T08:00:00.000Z')).toBe('10:00');
  });
  it('round-trips with instantAt', () => {
    for (const [date, time] of [
      ['2026-10-25', '10:00'],
      ['2027-03-28', '10:00'],
      ['2026-12-31', '23:45'],
    ] as const) {
      const instant = instantAt(date, time);
      expect([localDateOf(instant), localTimeOf(instant)]).toEqual([date, time]);
    }
  });
});

describe('a local date', () => {
  it('has its weekday', () => {
    expect(weekdayOf('2026-11-23')).toBe('mon');
    expect(weekdayOf('2026-11-25')).toBe('wed');
    expect(weekdayOf('2026-11-28')).toBe('sat');
    expect(weekdayOf('2027-03-28')).toBe('sun');
  });
  it('adds days across month and year ends', () => {
    expect(addDays('2026-01-31', 1)).toBe('2026-02-01');
    expect(addDays('2026-02-28', 1)).toBe('2026-03-01');
    expect(addDays('2028-02-28', 1)).toBe('2028-02-29');
    expect(addDays('2026-12-31', 1)).toBe('2027-01-01');
    expect(addDays('2026-03-01', -1)).toBe('2026-02-28');
    expect(addDays('2026-11-25', 14)).toBe('2026-12-09');
  });
  it('adds whole days across the clock changes', () => {
    expect(addDays('2027-03-27', 1)).toBe('2027-03-28');
    expect(addDays('2027-03-28', 1)).toBe('2027-03-29');
    expect(addDays('2026-10-25', 1)).toBe('2026-10-26');
  });
  it('is a real calendar date only', () => {
    expect(isLocalDate('2026-11-25')).toBe(true);
    expect(isLocalDate('2028-02-29')).toBe(true);
    expect(isLocalDate('2026-02-30')).toBe(false);
    expect(isLocalDate('2026-02-29')).toBe(false);
    expect(isLocalDate('2026-13-01')).toBe(false);
    expect(isLocalDate('2026-2-3')).toBe(false);
    expect(isLocalDate('2026-11-25T10:00')).toBe(false);
  });
});

describe('a wall-clock time', () => {
  it('counts minutes since midnight', () => {
    expect(minutesOf('00:00')).toBe(0);
    expect(minutesOf('08:30')).toBe(510);
    expect(minutesOf('23:59')).toBe(1439);
  });
  it('is written back as HH:mm', () => {
    expect(timeOfMinutes(510)).toBe('08:30');
    expect(timeOfMinutes(5)).toBe('00:05');
    expect(timeOfMinutes(minutesOf('16:45'))).toBe('16:45');
  });
});
