/**
 * One visit as the calendar files (the iCalendar feed, the day plan) show it: what the `scheduling_visits` read model
 * holds, and the address as the reader may see it. Pure.
 */
import { ERASED, UNREADABLE, WITHHELD } from '@buergerkoffer/shared/privacy';
import type { VisitStatus } from '../visits/visit.decider.ts';
import type { Place } from '../visits/visit.events.ts';

export interface VisitEntry {
  readonly visitId: string;
  readonly status: VisitStatus;
  /** RFC 5545 SEQUENCE: the changes a calendar shows (rescheduled, confirmed, cancelled, a participant gone). */
  readonly sequence: number;
  /** The local date in the tenant's zone. */
  readonly date: string;
  /** Instants (ISO 8601, UTC). */
  readonly start: string;
  readonly end: string;
  readonly kitId: string;
  readonly staffIds: readonly string[];
  readonly place: { readonly kind: Place['kind']; readonly institutionId?: string | undefined };
  /** The address as the reader may see it: the value, or "[withheld]", "[erased]", "[unreadable]". */
  readonly address: string;
  readonly participants: readonly { readonly caseId: string; readonly services: readonly string[] }[];
  /** The kit devices the participants' services need (the catalogue's, when it was booked). */
  readonly requiredDevices: readonly string[];
  /** Why the visit has to be moved (a device it needs broke, a member of staff is away), if it has to. */
  readonly needsRescheduling: string | null;
}

/** What stands in for an address that is not shown. */
const PLACEHOLDERS: readonly string[] = [WITHHELD, ERASED, UNREADABLE];
/** The address, when the entry shows one (not a placeholder). */
export const shownAddress = (entry: Pick<VisitEntry, 'address'>): string | undefined =>
  PLACEHOLDERS.includes(entry.address) ? undefined : entry.address;

/** Planned or confirmed: a visit that takes place (as far as anyone knows now). */
export const isActive = (entry: Pick<VisitEntry, 'status'>): boolean =>
  entry.status === 'planned' || entry.status === 'confirmed';
