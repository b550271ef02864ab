/** The calendar files over HTTP: their queries, the iCalendar document and the day plan. */
import { personalText, strictDate } from '@buergerkoffer/shared/http';
import { purposeQuery } from '@buergerkoffer/shared/privacy';
import { z } from 'zod';
import { PLACE_KINDS } from '../visits/visit.events.ts';

/** Why (auditors and admins state it), and which dates: by default a month back and three months ahead. */
export const calendarQuery = z.strictObject({
  ...purposeQuery,
  from: strictDate.optional().describe('First local date (default: 30 days ago)'),
  to: strictDate
    .optional()
    .describe('Last local date, included (default: 90 days ahead, or 120 days after `from`); at most 366 days on'),
});
export const dayPlanQuery = z.strictObject(purposeQuery);

export const icsDocument = z.string().describe('An iCalendar document (RFC 5545), `text/calendar; charset=utf-8`');

const times = {
  start: z.string(),
  end: z.string(),
  localStart: z.string().describe('Wall-clock start (HH:mm) in the tenant zone'),
  localEnd: z.string(),
};

export const dayPlan = z
  .object({
    kitId: z.string(),
    date: z.string().describe('The local date in the tenant zone'),
    timeZone: z.string(),
    visits: z
      .array(
        z.object({
          visitId: z.string(),
          status: z.enum(['planned', 'confirmed']),
          ...times,
          place: z.object({
            kind: z.enum(PLACE_KINDS),
            institutionId: z.string().optional(),
            address: personalText,
          }),
          participants: z.array(
            z.object({
              caseId: z.string(),
              services: z.array(
                z.object({
                  id: z.string(),
                  name: z.string(),
                  citizenBrings: z.string().describe('What the citizen has ready (the catalogue’s)'),
                  minutes: z.number().int().describe('The minutes the service is planned with'),
                }),
              ),
            }),
          ),
          devicesNeeded: z.array(z.string()),
          staffIds: z.array(z.string()),
          sequence: z.number().int(),
          needsRescheduling: z
            .string()
            .nullable()
            .describe('Why the visit has to be moved (a device broke, staff away), or null'),
        }),
      )
      .describe('The visits that take place (planned or confirmed), in the order of their start'),
    cancelled: z
      .array(z.object({ visitId: z.string(), ...times }))
      .describe('Visits of the day that were cancelled: nobody goes there'),
    devicesNeeded: z.array(z.string()).describe('Every device the day’s visits need: check them before leaving'),
  })
  .describe("A kit's day for the field team; addresses as far as the caller's role and purpose may see them");
export type DayPlan = z.infer<typeof dayPlan>;
