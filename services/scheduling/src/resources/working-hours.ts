/**
 * A member of staff's working week: per weekday, the intervals (`HH:mm`–`HH:mm`, local time in the tenant's zone)
 * they work; a day missing or empty is a day off. Each interval ends after it starts, and a day's intervals are in
 * order and do not overlap (touching is fine: 08:00–12:00 and 12:00–16:00). One rule for the request schema (which
 * names the offending interval) and the decider (which holds whatever the caller). Pure.
 */
import { minutesOf, WEEKDAYS, type Weekday } from '../time/local-time.ts';

export const LOCAL_TIME = /^(?:[01]\d|2[0-3]):[0-5]\d$/;

export interface WorkingInterval {
  readonly from: string;
  readonly to: string;
}
export type WorkingHours = Partial<Record<Weekday, readonly WorkingInterval[]>>;

export interface WorkingHoursIssue {
  /** The day and the interval's index on it. */
  readonly path: readonly [Weekday, number];
  readonly message: string;
}

/** What is wrong with a working week: nothing (an empty list) when it is valid. */
export function workingHoursIssues(hours: WorkingHours): WorkingHoursIssue[] {
  const issues: WorkingHoursIssue[] = [];
  for (const day of WEEKDAYS) {
    (hours[day] ?? []).forEach((interval, index, intervals) => {
      if (!LOCAL_TIME.test(interval.from) || !LOCAL_TIME.test(interval.to)) {
        issues.push({ path: [day, index], message: 'times are HH:mm' });
        return;
      }
      if (minutesOf(interval.to) <= minutesOf(interval.from)) {
        issues.push({ path: [day, index], message: `${interval.to} is not after ${interval.from}` });
        return;
      }
      const previous = intervals[index - 1];
      if (previous && LOCAL_TIME.test(previous.to) && minutesOf(interval.from) < minutesOf(previous.to)) {
        issues.push({ path: [day, index], message: `starts before the interval before it ends (${previous.to})` });
      }
    });
  }
  return issues;
}

/** The week as stored: days in the order of the week, days off left out, each interval copied. */
export function normalizeWorkingHours(hours: WorkingHours): Partial<Record<Weekday, WorkingInterval[]>> {
  const normal: Partial<Record<Weekday, WorkingInterval[]>> = {};
  for (const day of WEEKDAYS) {
    const intervals = hours[day] ?? [];
    if (intervals.length > 0) normal[day] = intervals.map(({ from, to }) => ({ from, to }));
  }
  return normal;
}

export const sameWorkingHours = (a: WorkingHours, b: WorkingHours): boolean =>
  JSON.stringify(normalizeWorkingHours(a)) === JSON.stringify(normalizeWorkingHours(b));
