/**
 * Dates and times in requests, read strictly. `Date.parse` and `new Date` roll an impossible date over
 * (`2026-02-30` is 2 March) and accept many other spellings; these schemas accept ISO 8601 in one spelling and only a
 * calendar date and time of day that exist, checked by a round trip through the calendar. Both answer the string as
 * sent (a route converts it where it needs a `Date`).
 */
import { z } from 'zod';

const INSTANT = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(?:Z|([+-])(\d{2}):(\d{2}))$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Whether year, month and day name a day of the (proleptic Gregorian) calendar. */
function dayExists(year: number, month: number, day: number): boolean {
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

/** `YYYY-MM-DDThh:mm[:ss[.fraction]]` with `Z` or an offset `±hh:mm`, of a day and time that exist. */
export function isStrictInstant(value: string): boolean {
  const match = INSTANT.exec(value);
  if (!match) return false;
  const [, year, month, day, hours, minutes, seconds = '0', , offsetHours = '0', offsetMinutes = '0'] = match;
  return (
    dayExists(Number(year), Number(month), Number(day)) &&
    Number(hours) <= 23 &&
    Number(minutes) <= 59 &&
    Number(seconds) <= 59 && // no leap second: a Date cannot hold one
    Number(offsetHours) <= 23 &&
    Number(offsetMinutes) <= 59
  );
}

/** `YYYY-MM-DD` of a day that exists. */
export function isStrictDate(value: string): boolean {
  const match = DATE.exec(value);
  return match !== null && dayExists(Number(match[1]), Number(match[2]), Number(match[3]));
}

/** An instant in ISO 8601 with a zone (`2026-11-25T10:00:00Z`, `2026-11-25T11:00:00.250+01:00`) that exists. */
export const strictInstant = z
  .string()
  .refine(isStrictInstant, 'expected an existing ISO 8601 date and time with a zone (2026-11-25T10:00:00Z)');

/** A calendar date in ISO 8601 (`2026-11-25`) that exists. */
export const strictDate = z.string().refine(isStrictDate, 'expected an existing ISO 8601 date (2026-11-25)');
