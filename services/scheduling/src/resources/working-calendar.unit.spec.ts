import { describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS } from './settings.events.ts';
import { createHolidayCalendar, holidaysBetween, isWorkingDay, workingDaysBetween } from './working-calendar.ts';

const calendar = createHolidayCalendar();
const nw = DEFAULT_SETTINGS;
const berlin = { ...DEFAULT_SETTINGS, holidayRegion: { country: 'DE' as const, state: 'BE' } };

describe('the working calendar', () => {
  describe('with the default settings (North Rhine-Westphalia, Monday to Friday)', () => {
    it('works on an ordinary weekday', () => {
      expect(isWorkingDay(nw, '2026-11-25', calendar)).toBe(true); // a Wednesday
      expect(isWorkingDay(nw, '2027-05-28', calendar)).toBe(true); // the Friday after Fronleichnam
    });
    it('does not work on Christmas Day and Boxing Day', () => {
      expect(isWorkingDay(nw, '2026-12-25', calendar)).toBe(false); // a Friday
      expect(isWorkingDay(nw, '2026-12-26', calendar)).toBe(false); // a Saturday
      expect(isWorkingDay({ ...nw, workingDays: ['sat'] }, '2026-12-26', calendar)).toBe(false); // a holiday too
    });
    it('does not work on All Saints’ Day, a Sunday in 2026 and a Monday in 2027', () => {
      expect(isWorkingDay(nw, '2026-11-01', calendar)).toBe(false);
      expect(isWorkingDay({ ...nw, workingDays: ['sun'] }, '2026-11-01', calendar)).toBe(false);
      expect(isWorkingDay(nw, '2027-11-01', calendar)).toBe(false);
    });
    it('does not work on Corpus Christi (Fronleichnam), a holiday in NW', () =>
      expect(isWorkingDay(nw, '2027-05-27', calendar)).toBe(false));
    it('does not work on a Saturday or a Sunday', () => {
      expect(isWorkingDay(nw, '2026-11-28', calendar)).toBe(false);
      expect(isWorkingDay(nw, '2026-11-29', calendar)).toBe(false);
    });
    it('does not work on a closed date, and on the other days as before', () => {
      const closed = { ...nw, closedDates: ['2026-12-24', '2026-12-31'] };
      expect(isWorkingDay(nw, '2026-12-24', calendar)).toBe(true); // Heiligabend is no public holiday
      expect(isWorkingDay(closed, '2026-12-24', calendar)).toBe(false);
      expect(isWorkingDay(closed, '2026-12-31', calendar)).toBe(false);
      expect(isWorkingDay(closed, '2026-12-30', calendar)).toBe(true);
    });
    it('lists the public holidays between two dates, across a year’s end, and none of the observances', () => {
      expect(holidaysBetween(nw, '2026-12-20', '2027-01-06', calendar)).toEqual([
        { date: '2026-12-25', name: '1. Weihnachtstag' },
        { date: '2026-12-26', name: '2. Weihnachtstag' },
        { date: '2027-01-01', name: 'Neujahr' },
      ]);
      expect(holidaysBetween(nw, '2027-05-27', '2027-05-27', calendar)).toEqual([
        { date: '2027-05-27', name: 'Fronleichnam' },
      ]);
      // Rosenmontag is an observance, not a public holiday.
      expect(holidaysBetween(nw, '2027-02-08', '2027-02-08', calendar)).toEqual([]);
    });
    it('lists the working days between two dates', () =>
      expect(workingDaysBetween(nw, '2026-12-23', '2027-01-04', calendar)).toEqual([
        '2026-12-23',
        '2026-12-24',
        '2026-12-28',
        '2026-12-29',
        '2026-12-30',
        '2026-12-31',
        '2027-01-04',
      ]));
  });

  describe('in another Land (Berlin)', () => {
    it('works on Corpus Christi and All Saints’ Day, which are no holidays there', () => {
      expect(isWorkingDay(berlin, '2027-05-27', calendar)).toBe(true);
      expect(isWorkingDay(berlin, '2027-11-01', calendar)).toBe(true);
    });
    it('does not work on International Women’s Day, a holiday there only', () => {
      expect(isWorkingDay(berlin, '2027-03-08', calendar)).toBe(false);
      expect(isWorkingDay(nw, '2027-03-08', calendar)).toBe(true);
    });
  });

  it('keeps what it has read: each calendar its own, none shared by the module', () => {
    const first = calendar.publicHolidays(nw.holidayRegion, 2027, nw.timeZone);
    expect(calendar.publicHolidays(nw.holidayRegion, 2027, nw.timeZone)).toBe(first);
    expect(createHolidayCalendar().publicHolidays(nw.holidayRegion, 2027, nw.timeZone)).not.toBe(first);
  });

  it('refuses a day the calendar lacks', () => {
    expect(() => isWorkingDay(nw, '2026-02-30', calendar)).toThrow(RangeError);
  });
});
