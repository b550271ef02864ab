/**
 * A kit's or a field officer's visits as an iCalendar file (RFC 5545), for a calendar client to subscribe to:
 *
 * - times as wall-clock times in the tenant's zone (`DTSTART;TZID=Europe/Berlin:20270328T100000`) with the zone's
 *   VTIMEZONE, so a visit at 10:00 on the day the clocks change reads 10:00 in every client;
 * - one UID per visit (`<visitId>@buergerkoffer`), whatever changes, and SEQUENCE the visit's count of changes, so a
 *   client updates the event it has instead of adding another;
 * - STATUS: TENTATIVE while planned, CONFIRMED once the citizen or institution agreed, CANCELLED once cancelled —
 *   cancelled visits stay in the file so that clients take them off (and the summary says so for clients that
 *   ignore STATUS); visits still being booked and refused ones are not in it;
 * - nothing personal but the address, and that only where the reader may see it (`LOCATION`; without it there is no
 *   LOCATION at all, not a placeholder a client would take for a place): the summary names the kind of visit and the
 *   services or the number of participants, the description the services, devices, kit, staff and case ids — ids
 *   and catalogue entries, which say nothing about anyone without the case files.
 *
 * Pure: the entries, the zone and the time of the file come in as arguments.
 */
import { CATALOGUE, isServiceId } from '@buergerkoffer/shared/contracts';
import { getVtimezoneComponent } from '@touch4it/ical-timezones';
import ical, { ICalCalendarMethod, ICalEventClass, ICalEventStatus } from 'ical-generator';
import { DateTime } from 'luxon';
import type { VisitStatus } from '../visits/visit.decider.ts';
import { shownAddress, type VisitEntry } from './visit-entry.ts';

/** The statuses a calendar shows, and as what. */
const STATUS: Partial<Record<VisitStatus, ICalEventStatus>> = {
  planned: ICalEventStatus.TENTATIVE,
  confirmed: ICalEventStatus.CONFIRMED,
  cancelled: ICalEventStatus.CANCELLED,
};
export const CALENDAR_STATUSES = ['planned', 'confirmed', 'cancelled'] as const satisfies readonly VisitStatus[];

const STATUS_TEXT: Partial<Record<VisitStatus, string>> = {
  planned: 'geplant, noch nicht bestätigt',
  confirmed: 'bestätigt',
  cancelled: 'abgesagt',
};

/** How often a subscribed client should fetch the file again. */
const REFRESH_SECONDS = 15 * 60;

export interface VisitCalendarOptions {
  /** The calendar's name, as a client lists it (`Bürgerkoffer – Koffer 1`). */
  readonly name: string;
  /** The tenant's zone (`Europe/Berlin`). */
  readonly timeZone: string;
  /** When the file was made (every event's DTSTAMP). */
  readonly generatedAt: Date;
}

/** The visit's UID: the same in every file and every version of it. */
export const visitUid = (visitId: string): string => `${visitId}@buergerkoffer`;

const servicesOf = (entry: Pick<VisitEntry, 'participants'>): string[] => [
  ...new Set(entry.participants.flatMap((p) => p.services)),
];

/** What the calendar shows as the title: the kind of visit and its services, or how many take part. */
export function visitSummary(entry: Pick<VisitEntry, 'status' | 'place' | 'participants'>): string {
  const what =
    entry.participants.length > 1
      ? `Sammeltermin: ${entry.participants.length} Teilnehmende`
      : `${entry.place.kind === 'home' ? 'Hausbesuch' : entry.place.kind === 'institution' ? 'Einrichtung' : 'Termin'}: ${servicesOf(entry).join(', ')}`;
  return entry.status === 'cancelled' ? `Abgesagt – ${what}` : what;
}

const serviceLine = (service: string): string =>
  isServiceId(service)
    ? `${service}: ${CATALOGUE[service].name} (mitzubringen: ${CATALOGUE[service].citizenBrings})`
    : service;

/** The event's description: services per case, devices, kit, staff, the institution, and whether to move it. */
export function visitDescription(entry: VisitEntry): string {
  const lines = [`Status: ${STATUS_TEXT[entry.status] ?? entry.status}`];
  if (entry.needsRescheduling) lines.push(`Muss umgeplant werden: ${entry.needsRescheduling}`);
  lines.push('Leistungen:');
  for (const participant of entry.participants) {
    lines.push(
      `- Fall ${participant.caseId}:`,
      ...participant.services.map((service) => `  - ${serviceLine(service)}`),
    );
  }
  lines.push(
    `Geräte: ${entry.requiredDevices.join(', ') || '–'}`,
    `Koffer: ${entry.kitId}`,
    `Personal: ${entry.staffIds.join(', ')}`,
  );
  if (entry.place.institutionId) lines.push(`Einrichtung: ${entry.place.institutionId}`);
  if (shownAddress(entry) === undefined && entry.status !== 'cancelled') lines.push('Adresse: nicht freigegeben');
  return lines.join('\n');
}

/** The visits as an iCalendar file; visits of statuses a calendar does not show are left out. */
export function visitCalendar(entries: readonly VisitEntry[], options: VisitCalendarOptions): string {
  const calendar = ical({
    name: options.name,
    prodId: { company: 'buergerkoffer', product: 'scheduling', language: 'DE' },
    method: ICalCalendarMethod.PUBLISH,
    // The VTIMEZONE of each zone the events name. No calendar-wide zone: ical-generator would then write DTSTAMP
    // as a local time, which RFC 5545 wants in UTC.
    timezone: { name: null, generator: getVtimezoneComponent },
    ttl: REFRESH_SECONDS,
  });
  const shown = entries
    .filter((entry) => STATUS[entry.status] !== undefined)
    .toSorted((a, b) => Date.parse(a.start) - Date.parse(b.start) || a.visitId.localeCompare(b.visitId));
  for (const entry of shown) {
    const address = entry.status === 'cancelled' ? undefined : shownAddress(entry);
    calendar.createEvent({
      id: visitUid(entry.visitId),
      sequence: entry.sequence,
      stamp: options.generatedAt,
      status: STATUS[entry.status] ?? null,
      // Converted into the zone by luxon, whatever the process's own zone is.
      start: DateTime.fromISO(entry.start, { zone: 'utc' }),
      end: DateTime.fromISO(entry.end, { zone: 'utc' }),
      timezone: options.timeZone,
      summary: visitSummary(entry),
      description: visitDescription(entry),
      ...(address ? { location: address } : {}),
      // Visits are about citizens: a client sharing the calendar shows them as busy only.
      class: ICalEventClass.PRIVATE,
    });
  }
  return calendar.toString();
}
