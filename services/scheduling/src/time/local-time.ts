/**
 * Wall-clock time in the tenant's zone (Europe/Berlin): visits are planned as a local date and local times and
 * stored as instants, so that a visit at 10:00 on the last Sunday of March or October is at 10:00 on that day's
 * clock, whatever the offset (luxon reads the zone rules from the platform's ICU data).
 */
import { DateTime } from 'luxon';

export const DEFAULT_TIME_ZONE = 'Europe/Berlin';

/** `yyyy-mm-dd`, a calendar date in the zone. */
export type LocalDate = string;
/** `HH:mm`, a wall-clock time. */
export type LocalTime = string;

export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

const local = (date: LocalDate, zone: string): DateTime => {
  const parsed = DateTime.fromISO(date, { zone });
  if (!parsed.isValid) throw new RangeError(`not a date: ${date}`);
  return parsed;
};

/** The instant of a wall-clock time on a date in the zone. A time the clock skips (02:30 on the spring change)
 *  moves forward by the skipped hour (03:30 summer time); a repeated one (02:30 in October) is its first occurrence.
 *  Visits are planned within working hours, far from either. */
export function instantAt(date: LocalDate, time: LocalTime, zone: string = DEFAULT_TIME_ZONE): Date {
  const [hour, minute] = time.split(':').map(Number);
  return local(date, zone)
    .set({ hour: hour ?? 0, minute: minute ?? 0, second: 0, millisecond: 0 })
    .toJSDate();
}

/** The calendar date of an instant in the zone. */
export const localDateOf = (instant: Date | string, zone: string = DEFAULT_TIME_ZONE): LocalDate =>
  DateTime.fromJSDate(new Date(instant), { zone }).toISODate() ?? '';

/** The wall-clock time (HH:mm) of an instant in the zone. */
export const localTimeOf = (instant: Date | string, zone: string = DEFAULT_TIME_ZONE): LocalTime =>
  DateTime.fromJSDate(new Date(instant), { zone }).toFormat('HH:mm');

export const weekdayOf = (date: LocalDate): Weekday => {
  const day = WEEKDAYS[DateTime.fromISO(date, { zone: 'UTC' }).weekday - 1];
  if (!day) throw new RangeError(`not a date: ${date}`);
  return day;
};

export const addDays = (date: LocalDate, days: number): LocalDate =>
  DateTime.fromISO(date, { zone: 'UTC' }).plus({ days }).toISODate() ?? date;

/** Minutes since local midnight of a wall-clock time. */
export const minutesOf = (time: LocalTime): number => {
  const [hour, minute] = time.split(':').map(Number);
  return (hour ?? 0) * 60 + (minute ?? 0);
};

export const timeOfMinutes = (minutes: number): LocalTime =>
  `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;

/** Whether the string is a real calendar date (`2026-02-30` is not). */
export const isLocalDate = (value: string): boolean =>
  /^\d{4}-\d{2}-\d{2}$/.test(value) && DateTime.fromISO(value, { zone: 'UTC' }).isValid;
