/**
 * A kit's day as the field team works it: its visits that take place, in the order of their start, each with the
 * place (the address as the reader may see it), every participant's services as the catalogue describes them (what
 * the citizen brings, how long it takes) and the devices the visit needs — and the devices the whole day needs, to
 * check the kit before it leaves. Visits cancelled that day are listed apart, without their place: only so that
 * nobody goes there. Pure.
 */
import { CATALOGUE, isServiceId } from '@buergerkoffer/shared/contracts';
import { serviceMinutes } from '../proposals/proposal-search.ts';
import { localTimeOf } from '../time/local-time.ts';
import type { DayPlan } from './calendar.schemas.ts';
import { isActive, type VisitEntry } from './visit-entry.ts';

const byStart = (a: VisitEntry, b: VisitEntry): number =>
  Date.parse(a.start) - Date.parse(b.start) || a.visitId.localeCompare(b.visitId);

/** A service as the field team needs it: its name, what the citizen brings, the minutes it is planned with. */
export function serviceOnSite(service: string) {
  const entry = isServiceId(service) ? CATALOGUE[service] : undefined;
  return {
    id: service,
    name: entry?.name ?? service,
    citizenBrings: entry?.citizenBrings ?? '',
    minutes: serviceMinutes(service),
  };
}

const union = (lists: readonly (readonly string[])[]): string[] => [...new Set(lists.flat())].sort();

export function dayPlanOf(kitId: string, date: string, timeZone: string, entries: readonly VisitEntry[]): DayPlan {
  const ofDay = entries.filter((entry) => entry.kitId === kitId && entry.date === date).toSorted(byStart);
  const active = ofDay.filter(isActive);
  const times = (entry: VisitEntry) => ({
    start: entry.start,
    end: entry.end,
    localStart: localTimeOf(entry.start, timeZone),
    localEnd: localTimeOf(entry.end, timeZone),
  });
  return {
    kitId,
    date,
    timeZone,
    visits: active.map((entry) => ({
      visitId: entry.visitId,
      status: entry.status === 'confirmed' ? 'confirmed' : 'planned',
      ...times(entry),
      place: {
        kind: entry.place.kind,
        ...(entry.place.institutionId ? { institutionId: entry.place.institutionId } : {}),
        address: entry.address,
      },
      participants: entry.participants.map((p) => ({ caseId: p.caseId, services: p.services.map(serviceOnSite) })),
      devicesNeeded: union([entry.requiredDevices]),
      staffIds: [...entry.staffIds],
      sequence: entry.sequence,
      needsRescheduling: entry.needsRescheduling,
    })),
    cancelled: ofDay
      .filter((entry) => entry.status === 'cancelled')
      .map((entry) => ({ visitId: entry.visitId, ...times(entry) })),
    devicesNeeded: union(active.map((entry) => entry.requiredDevices)),
  };
}
