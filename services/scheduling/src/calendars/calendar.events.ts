/**
 * A resource's calendar for one day (streams `kitCalendar-<kitId>.<yyyy-mm-dd>` and
 * `staffCalendar-<staffId>.<yyyy-mm-dd>`): the holds visits have on the kit or the person that day. Small streams,
 * each written at its expected revision, so two bookings of one resource on one day are serialised by the store
 * alone — on PostgreSQL, PGlite and KurrentDB, without a transaction across streams.
 */
import { eventCodec } from '@buergerkoffer/shared/event-sourcing';
import { z } from 'zod';

export const resourceRef = z.object({ kind: z.enum(['kit', 'staff']), id: z.uuid() });
export type ResourceRef = z.infer<typeof resourceRef>;
/** What a booking found taken: a kit's or a person's day, or a case already on another visit. */
export const takenRef = z.object({ kind: z.enum(['kit', 'staff', 'case']), id: z.uuid() });
export type TakenRef = z.infer<typeof takenRef>;

const hold = {
  resource: resourceRef,
  /** The day of the stream, in the tenant's zone. */
  date: z.iso.date(),
  /** One hold per visit and allocation (`<visitId>:<n>`): a rescheduled visit holds anew, then lets the old go. */
  holdId: z.string().min(1),
  visitId: z.uuid(),
};

export const resourceReserved = z.object({
  type: z.literal('ResourceReserved'),
  data: z.object({
    ...hold,
    start: z.iso.datetime(),
    end: z.iso.datetime(),
    /** Travel time kept free before and after the hold. */
    bufferMinutes: z.number().int().min(0),
    reservedAt: z.iso.datetime(),
  }),
});
export const resourceReleased = z.object({
  type: z.literal('ResourceReleased'),
  data: z.object({ ...hold, releasedAt: z.iso.datetime() }),
});

export const calendarEvent = z.discriminatedUnion('type', [resourceReserved, resourceReleased]);
export type CalendarEvent = z.infer<typeof calendarEvent>;
/** Nothing personal: which visit holds the resource when. */
export const calendarCodec = eventCodec(calendarEvent);
