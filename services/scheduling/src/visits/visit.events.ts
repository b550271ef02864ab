/**
 * A visit (stream `visit-<visitId>`): a kit, two field staff, a place, a date and a time window, one or more
 * participants (cases) with their services. Booked in two steps: the booking starts (recorded first, so a crash
 * mid-way is finished by the visit manager), the kit and both staff are held on their day calendars, then the visit
 * is planned — or refused, naming the resource that was taken. Every event's metadata names the participants' cases,
 * so each case's history shows its visit.
 */
import { eventCodec } from '@buergerkoffer/shared/event-sourcing';
import { z } from 'zod';
import { takenRef } from '../calendars/calendar.events.ts';
import { visitPersonalData } from './visit.privacy.ts';

export const participant = z.object({
  caseId: z.uuid(),
  /** The applicant (data subject) of the case, when known. */
  subjectId: z.uuid().optional(),
  services: z.array(z.string().min(1)).min(1),
});
export type Participant = z.infer<typeof participant>;

export const PLACE_KINDS = ['home', 'institution', 'other'] as const;
export const place = z.object({
  kind: z.enum(PLACE_KINDS),
  institutionId: z.uuid().optional(),
  /** Street, number, postcode, town — sealed (visit.privacy.ts). */
  address: z.string(),
});
export type Place = z.infer<typeof place>;

/** The kit, the two staff and the time a visit holds (one hold id per allocation). */
export const allocation = z.object({
  holdId: z.string().min(1),
  kitId: z.uuid(),
  staffIds: z.tuple([z.uuid(), z.uuid()]),
  /** The local date of the visit in the tenant's zone. */
  date: z.iso.date(),
  start: z.iso.datetime(),
  end: z.iso.datetime(),
  /** Travel time kept free before and after (the tenant's setting when it was booked). */
  bufferMinutes: z.number().int().min(0),
});
export type Allocation = z.infer<typeof allocation>;
const previous = allocation.omit({ holdId: true, date: true, bufferMinutes: true });

export const CONFIRMED_BY = ['citizen', 'institution', 'contact-person'] as const;
export const CANCEL_REASONS = [
  'citizen-request',
  'institution-request',
  'staff-unavailable',
  'kit-unavailable',
  'no-participants',
  'other',
] as const;
export const REMOVAL_REASONS = ['case-withdrawn', 'case-rejected', 'scheduler'] as const;
export const FLAG_REASONS = ['device-faulty', 'kit-withdrawn', 'staff-absent', 'staff-deactivated'] as const;

export const visitBookingStarted = z.object({
  type: z.literal('VisitBookingStarted'),
  data: allocation.extend({
    visitId: z.uuid(),
    participants: z.array(participant).min(1),
    place,
    /** Whose home the place is (a home visit's applicant): their key seals the address. */
    placeSubjectId: z.uuid().optional(),
    groupRequestId: z.uuid().optional(),
    /** The kit devices the participants' services need (the catalogue's). */
    requiredDevices: z.array(z.string()),
    requestedBy: z.string(),
    requestedAt: z.iso.datetime(),
  }),
});
export const visitPlanned = z.object({
  type: z.literal('VisitPlanned'),
  data: allocation.extend({
    visitId: z.uuid(),
    participants: z.array(participant.omit({ subjectId: true })),
    plannedAt: z.iso.datetime(),
  }),
});
export const visitBookingRefused = z.object({
  type: z.literal('VisitBookingRefused'),
  data: z.object({ visitId: z.uuid(), holdId: z.string(), resource: takenRef, refusedAt: z.iso.datetime() }),
});
export const visitRescheduleStarted = z.object({
  type: z.literal('VisitRescheduleStarted'),
  data: allocation.extend({ visitId: z.uuid(), requestedBy: z.string(), requestedAt: z.iso.datetime() }),
});
export const visitRescheduled = z.object({
  type: z.literal('VisitRescheduled'),
  data: allocation.extend({
    visitId: z.uuid(),
    previous: previous.extend({ holdId: z.string(), date: z.iso.date(), bufferMinutes: z.number().int().min(0) }),
    rescheduledAt: z.iso.datetime(),
  }),
});
export const visitRescheduleRefused = z.object({
  type: z.literal('VisitRescheduleRefused'),
  data: z.object({ visitId: z.uuid(), holdId: z.string(), resource: takenRef, refusedAt: z.iso.datetime() }),
});
export const visitConfirmed = z.object({
  type: z.literal('VisitConfirmed'),
  data: z.object({
    visitId: z.uuid(),
    confirmedBy: z.enum(CONFIRMED_BY),
    recordedBy: z.string(),
    confirmedAt: z.iso.datetime(),
  }),
});
export const visitCancelled = z.object({
  type: z.literal('VisitCancelled'),
  data: z.object({
    visitId: z.uuid(),
    reason: z.enum(CANCEL_REASONS),
    cancelledBy: z.string(),
    cancelledAt: z.iso.datetime(),
  }),
});
export const participantRemoved = z.object({
  type: z.literal('ParticipantRemoved'),
  data: z.object({
    visitId: z.uuid(),
    caseId: z.uuid(),
    reason: z.enum(REMOVAL_REASONS),
    removedBy: z.string(),
    removedAt: z.iso.datetime(),
  }),
});
export const visitFlaggedForRescheduling = z.object({
  type: z.literal('VisitFlaggedForRescheduling'),
  data: z.object({
    visitId: z.uuid(),
    reason: z.enum(FLAG_REASONS),
    kitId: z.uuid().optional(),
    device: z.string().optional(),
    staffId: z.uuid().optional(),
    flaggedAt: z.iso.datetime(),
  }),
});

export const visitEvent = z.discriminatedUnion('type', [
  visitBookingStarted,
  visitPlanned,
  visitBookingRefused,
  visitRescheduleStarted,
  visitRescheduled,
  visitRescheduleRefused,
  visitConfirmed,
  visitCancelled,
  participantRemoved,
  visitFlaggedForRescheduling,
]);
export type VisitEvent = z.infer<typeof visitEvent>;
/** Stored → domain events of the visit (shared/event-sourcing/codec.ts). */
export const visitCodec = eventCodec(visitEvent, { personal: visitPersonalData });
