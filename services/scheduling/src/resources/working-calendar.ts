/**
 * Which days the office works: a tenant's working day is one of its working weekdays that is neither a public holiday
 * of its region nor one of its closed dates. Public holidays come from the maintained `date-holidays` rules (only
 * those of type `public`: Rosenmontag or Heiligabend are observances or half days there, and the office decides
 * those by closing the date). The rules are read once per region and year: a calendar keeps what it has read, and
 * whoever plans creates one (`createHolidayCalendar`) and passes it on — no calendar lives in the module.
 */
import Holidays from 'date-holidays';
import { addDays, isLocalDate, type LocalDate, weekdayOf } from '../time/local-time.ts';
import type { SchedulingSettings } from './settings.events.ts';

export interface PublicHoliday {
  readonly date: LocalDate;
  /** The holiday's German name (e.g. `Fronleichnam`). */
  readonly name: string;
}

/** What the working calendar reads of the settings. */
export type CalendarSettings = Pick<SchedulingSettings, 'timeZone' | 'holidayRegion' | 'workingDays' | 'closedDates'>;

export interface HolidayCalendar {
  /** The public holidays of the region in the year, by local date. */
  publicHolidays(
    region: SchedulingSettings['holidayRegion'],
    year: number,
    timeZone: string,
  ): ReadonlyMap<LocalDate, string>;
}

/** A holiday calendar that keeps each region's rules and each year's holidays once read. */
export function createHolidayCalendar(): HolidayCalendar {
  const rules = new Map<string, Holidays>();
  const years = new Map<string, ReadonlyMap<LocalDate, string>>();
  return {
    publicHolidays(region, year, timeZone) {
      const regionKey = `${region.country}-${region.state}@${timeZone}`;
      const key = `${regionKey}:${year}`;
      const known = years.get(key);
      if (known) return known;
      let holidays = rules.get(regionKey);
      if (!holidays) {
        holidays = new Holidays(region.country, region.state, { types: ['public'], timezone: timeZone });
        rules.set(regionKey, holidays);
      }
      const byDate = new Map<LocalDate, string>();
      for (const holiday of holidays.getHolidays(year, 'de')) {
        // `date` is the holiday's local start ("2027-05-27 00:00:00"): its first ten characters are its day.
        if (holiday.type === 'public') byDate.set(holiday.date.slice(0, 10), holiday.name);
      }
      years.set(key, byDate);
      return byDate;
    },
  };
}

const yearOf = (date: LocalDate): number => Number(date.slice(0, 4));

const checked = (date: LocalDate): LocalDate => {
  if (!isLocalDate(date)) throw new RangeError(`not a date: ${date}`);
  return date;
};

/** The public holiday on the date in the settings' region, if any. */
export const publicHolidayOn = (calendar: HolidayCalendar, settings: CalendarSettings, date: LocalDate) =>
  calendar.publicHolidays(settings.holidayRegion, yearOf(checked(date)), settings.timeZone).get(date);

/** Whether the office works on the date: a working weekday, no public holiday of its region, not a closed date. */
export function isWorkingDay(settings: CalendarSettings, date: LocalDate, calendar: HolidayCalendar): boolean {
  if (!settings.workingDays.includes(weekdayOf(checked(date)))) return false;
  if (settings.closedDates.includes(date)) return false;
  return publicHolidayOn(calendar, settings, date) === undefined;
}

/** The public holidays of the settings' region from `from` to `to` (both included), in date order. */
export function holidaysBetween(
  settings: CalendarSettings,
  from: LocalDate,
  to: LocalDate,
  calendar: HolidayCalendar,
): PublicHoliday[] {
  checked(from);
  checked(to);
  const found: PublicHoliday[] = [];
  for (let year = yearOf(from); year <= yearOf(to); year++) {
    for (const [date, name] of calendar.publicHolidays(settings.holidayRegion, year, settings.timeZone)) {
      if (from <= date && date <= to) found.push({ date, name });
    }
  }
  return found.sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0));
}

/** The working days from `from` to `to` (both included), in order. */
export function workingDaysBetween(
  settings: CalendarSettings,
  from: LocalDate,
  to: LocalDate,
  calendar: HolidayCalendar,
): LocalDate[] {
  const days: LocalDate[] = [];
  for (let date = checked(from); date <= checked(to); date = addDays(date, 1)) {
    if (isWorkingDay(settings, date, calendar)) days.push(date);
  }
  return days;
}
