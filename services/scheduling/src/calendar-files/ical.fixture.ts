/**
 * The calendar files as a calendar client reads them: parsed by ical.js (an independent parser), each VTIMEZONE of
 * the file registered first, so that the instants are computed from the file's own zone rules — as clients do.
 */
import ICAL from 'ical.js';

export interface ParsedEvent {
  readonly uid: string;
  readonly sequence: number;
  readonly status: string | undefined;
  readonly summary: string;
  readonly description: string;
  readonly location: string | undefined;
  /** The TZID of DTSTART (undefined for UTC or floating times). */
  readonly tzid: string | undefined;
  /** Wall-clock start and end (HH:mm) in that zone, and the local date (yyyy-mm-dd). */
  readonly localDate: string;
  readonly localStart: string;
  readonly localEnd: string;
  /** The instants (ISO 8601, UTC). */
  readonly start: string;
  readonly end: string;
  readonly dtstamp: string | undefined;
}

export interface ParsedCalendar {
  readonly timeZones: readonly string[];
  readonly name: string | undefined;
  readonly events: readonly ParsedEvent[];
}

const pad = (n: number) => String(n).padStart(2, '0');
const clock = (time: InstanceType<typeof ICAL.Time>) => `${pad(time.hour)}:${pad(time.minute)}`;
const text = (value: unknown): string | undefined =>
  value === null || value === undefined ? undefined : String(value);

export function parseCalendar(ics: string): ParsedCalendar {
  const calendar = new ICAL.Component(ICAL.parse(ics));
  const zones = calendar.getAllSubcomponents('vtimezone');
  for (const zone of zones) ICAL.TimezoneService.register(zone);
  return {
    timeZones: zones.map((zone) => String(zone.getFirstPropertyValue('tzid'))),
    name: text(calendar.getFirstPropertyValue('x-wr-calname')),
    events: calendar.getAllSubcomponents('vevent').map((component): ParsedEvent => {
      const event = new ICAL.Event(component);
      const start = event.startDate;
      return {
        uid: event.uid,
        sequence: event.sequence,
        status: text(component.getFirstPropertyValue('status')),
        summary: event.summary,
        description: event.description,
        location: text(component.getFirstPropertyValue('location')),
        tzid: text(component.getFirstProperty('dtstart')?.getParameter('tzid')),
        localDate: `${start.year}-${pad(start.month)}-${pad(start.day)}`,
        localStart: clock(start),
        localEnd: clock(event.endDate),
        start: start.toJSDate().toISOString(),
        end: event.endDate.toJSDate().toISOString(),
        dtstamp: text(component.getFirstPropertyValue('dtstamp')),
      };
    }),
  };
}
