/**
 * The earliest feasible slots for a visit: a kit in service whose needed devices all work, two active staff free
 * and within their working hours that day, on a working day of the tenant (no public holiday), the travel buffer
 * kept free around every other hold of the kit and of both staff, preferred dates first. Pure and in memory: the
 * caller loads the month's resources and holds (a few hundred rows) and passes the time.
 */
import { CATALOGUE, isServiceId, type KitDevice } from '@buergerkoffer/shared/contracts';
import {
  addDays,
  instantAt,
  type LocalDate,
  minutesOf,
  timeOfMinutes,
  type Weekday,
  weekdayOf,
} from '../time/local-time.ts';

export interface SearchKit {
  readonly kitId: string;
  readonly status: string;
  readonly devices: Readonly<Record<string, 'ok' | 'faulty'>>;
}
export interface SearchStaff {
  readonly staffId: string;
  readonly active: boolean;
  readonly workingHours: Partial<Record<Weekday, readonly { readonly from: string; readonly to: string }[]>>;
  readonly absences: readonly { readonly from: LocalDate; readonly to: LocalDate }[];
}
export interface SearchHold {
  readonly kind: 'kit' | 'staff';
  readonly resourceId: string;
  readonly visitId: string;
  readonly date: LocalDate;
  /** Epoch milliseconds. */
  readonly start: number;
  readonly end: number;
  readonly bufferMinutes: number;
}
export interface SearchSettings {
  readonly timeZone: string;
  readonly setupMinutes: number;
  readonly packAwayMinutes: number;
  readonly travelBufferMinutes: number;
  readonly slotStepMinutes: number;
  readonly horizonDays: number;
}
export interface SearchParticipant {
  readonly caseId: string;
  readonly services: readonly string[];
}
export interface SearchInput {
  readonly settings: SearchSettings;
  readonly isWorkingDay: (date: LocalDate) => boolean;
  readonly kits: readonly SearchKit[];
  readonly staff: readonly SearchStaff[];
  readonly holds: readonly SearchHold[];
  readonly participants: readonly SearchParticipant[];
  /** The first date to look at and the dates to try first. */
  readonly from: LocalDate;
  readonly preferredDates?: readonly LocalDate[];
  /** Nothing starts before this instant (now). */
  readonly notBefore: number;
  readonly limit: number;
  /** A visit being rescheduled: its own holds do not count. */
  readonly ignoreVisitId?: string | undefined;
}
export interface Proposal {
  readonly date: LocalDate;
  readonly start: string;
  readonly end: string;
  readonly kitId: string;
  readonly staffIds: readonly [string, string];
  /** The participants this slot serves (a group too large for one day: the first that fit). */
  readonly caseIds: readonly string[];
}
export interface SearchResult {
  readonly proposals: readonly Proposal[];
  readonly minutes: number;
  readonly requiredDevices: readonly KitDevice[];
  /** Participants left for another visit (their services do not fit into one day with the others). */
  readonly remaining: readonly string[];
}

const MINUTE = 60_000;

/** The minutes a service takes at most (the catalogue's typical range, its upper end). */
export const serviceMinutes = (service: string): number =>
  isServiceId(service) ? CATALOGUE[service].typicalMinutes[1] : 15;

export const devicesFor = (services: readonly string[]): KitDevice[] =>
  [...new Set(services.flatMap((s) => (isServiceId(s) ? CATALOGUE[s].needs : [])))].sort();

/** Set-up, every participant's services, pack-away. */
export const visitMinutes = (settings: SearchSettings, participants: readonly SearchParticipant[]): number =>
  settings.setupMinutes +
  settings.packAwayMinutes +
  participants.reduce((sum, p) => sum + p.services.reduce((s, service) => s + serviceMinutes(service), 0), 0);

const absent = (staff: SearchStaff, date: LocalDate): boolean =>
  staff.absences.some((absence) => absence.from <= date && date <= absence.to);

/**
 * The longest visit a day can hold: a visit needs two staff, so the second-longest of the active staff's longest
 * working intervals (over the week) bounds it.
 */
const longestShift = (staff: readonly SearchStaff[]): number => {
  const longest = staff
    .filter((s) => s.active)
    .map((s) =>
      Math.max(
        0,
        ...Object.values(s.workingHours).flatMap((intervals) =>
          (intervals ?? []).map((i) => minutesOf(i.to) - minutesOf(i.from)),
        ),
      ),
    )
    .sort((a, b) => b - a);
  return longest[1] ?? 0;
};

/**
 * The instant of each minute of a day: on a day without a clock change, local midnight plus the minutes (the zone's
 * offset looked up once, not per slot — most of the search's time otherwise); on the two change days, each time
 * looked up on its own.
 */
function dayClock(date: LocalDate, timeZone: string): (minutes: number) => number {
  const midnight = instantAt(date, '00:00', timeZone).getTime();
  const regular = instantAt(date, '23:00', timeZone).getTime() - midnight === 23 * 60 * MINUTE;
  return regular
    ? (minutes) => midnight + minutes * MINUTE
    : (minutes) => instantAt(date, timeOfMinutes(minutes), timeZone).getTime();
}

export function searchSlots(input: SearchInput): SearchResult {
  const { settings } = input;
  // A group too large for one day: as many participants as fit (in the order given), the rest on another visit.
  let participants = [...input.participants];
  const shift = longestShift(input.staff);
  while (participants.length > 1 && visitMinutes(settings, participants) > shift)
    participants = participants.slice(0, -1);
  const remaining = input.participants.slice(participants.length).map((p) => p.caseId);
  const minutes = visitMinutes(settings, participants);
  const requiredDevices = devicesFor(participants.flatMap((p) => p.services));

  const kits = input.kits.filter(
    (kit) => kit.status === 'in-service' && requiredDevices.every((d) => kit.devices[d] === 'ok'),
  );
  const holdsByResource = new Map<string, SearchHold[]>();
  for (const hold of input.holds) {
    if (hold.visitId === input.ignoreVisitId) continue;
    const key = `${hold.kind}:${hold.resourceId}:${hold.date}`;
    const list = holdsByResource.get(key) ?? [];
    list.push(hold);
    holdsByResource.set(key, list);
  }
  const free = (kind: 'kit' | 'staff', id: string, date: LocalDate, start: number, end: number): boolean =>
    !(holdsByResource.get(`${kind}:${id}:${date}`) ?? []).some((hold) => {
      const gap = Math.max(hold.bufferMinutes, settings.travelBufferMinutes) * MINUTE;
      return start < hold.end + gap && hold.start < end + gap;
    });

  const last = addDays(input.from, settings.horizonDays);
  const preferred = [...new Set(input.preferredDates ?? [])].filter((d) => d >= input.from && d <= last).sort();
  const dates: LocalDate[] = [...preferred];
  for (let date = input.from; date <= last; date = addDays(date, 1)) if (!preferred.includes(date)) dates.push(date);

  const proposals: Proposal[] = [];
  if (kits.length === 0 || minutes > shift) return { proposals, minutes, requiredDevices, remaining };
  for (const date of dates) {
    if (proposals.length >= input.limit) break;
    if (!input.isWorkingDay(date)) continue;
    const weekday = weekdayOf(date);
    const working = input.staff
      .filter((s) => s.active && !absent(s, date))
      .map((s) => ({
        staffId: s.staffId,
        intervals: (s.workingHours[weekday] ?? []).map((i) => [minutesOf(i.from), minutesOf(i.to)] as const),
      }))
      .filter((s) => s.intervals.length > 0);
    if (working.length < 2) continue;
    const earliest = Math.min(...working.flatMap((s) => s.intervals.map(([from]) => from)));
    const latest = Math.max(...working.flatMap((s) => s.intervals.map(([, to]) => to)));
    const step = settings.slotStepMinutes;
    const startOf = dayClock(date, settings.timeZone);
    for (let at = Math.ceil(earliest / step) * step; at + minutes <= latest; at += step) {
      if (proposals.length >= input.limit) break;
      const start = startOf(at);
      const end = start + minutes * MINUTE;
      if (start < input.notBefore) continue;
      const kit = kits.find((k) => free('kit', k.kitId, date, start, end));
      if (!kit) continue;
      const staff = working.filter(
        (s) =>
          s.intervals.some(([from, to]) => from <= at && at + minutes <= to) &&
          free('staff', s.staffId, date, start, end),
      );
      const [first, second] = staff;
      if (!first || !second) continue;
      proposals.push({
        date,
        start: new Date(start).toISOString(),
        end: new Date(end).toISOString(),
        kitId: kit.kitId,
        staffIds: [first.staffId, second.staffId],
        caseIds: participants.map((p) => p.caseId),
      });
    }
  }
  return { proposals, minutes, requiredDevices, remaining };
}
