/** The visit as the API shows it, and the bodies of its commands. */
import { singleLineText } from '@buergerkoffer/shared/contracts';
import { personalText, strictInstant } from '@buergerkoffer/shared/http';
import { z } from 'zod';
import { CANCEL_REASONS, CONFIRMED_BY, PLACE_KINDS } from './visit.events.ts';

const resource = z.object({ kind: z.enum(['kit', 'staff', 'case']), id: z.string() });

export const visitView = z
  .object({
    visitId: z.string(),
    status: z.enum(['booking', 'planned', 'confirmed', 'refused', 'cancelled']),
    kitId: z.string(),
    staffIds: z.array(z.string()),
    date: z.string().describe('The local date of the visit in the tenant zone'),
    start: z.string(),
    end: z.string(),
    localStart: z.string().describe('Wall-clock start (HH:mm) in the tenant zone'),
    localEnd: z.string(),
    timeZone: z.string(),
    participants: z.array(z.object({ caseId: z.string(), services: z.array(z.string()) })),
    removedCaseIds: z.array(z.string()),
    place: z.object({
      kind: z.enum(PLACE_KINDS),
      institutionId: z.string().optional(),
      address: personalText,
    }),
    groupRequestId: z.string().optional(),
    requiredDevices: z.array(z.string()),
    needsRescheduling: z
      .object({
        reason: z.string(),
        kitId: z.string().optional(),
        device: z.string().optional(),
        staffId: z.string().optional(),
        flaggedAt: z.string(),
      })
      .nullable(),
    rescheduling: z.boolean().describe('A reschedule is being booked'),
    confirmedBy: z.enum(CONFIRMED_BY).nullable(),
    cancelReason: z.string().nullable(),
    refusedBy: resource.nullable(),
    sequence: z.number().int().describe('Changes a calendar shows (RFC 5545 SEQUENCE)'),
    allowedActions: z.array(z.string()).describe('What the visit accepts now: a UI offers only these'),
  })
  .describe("A visit; its address as far as the caller's role and purpose may see it");
export type VisitView = z.infer<typeof visitView>;

const allocationBody = {
  kitId: z.uuid(),
  staffIds: z.tuple([z.uuid(), z.uuid()]).describe('The two field staff'),
  start: strictInstant,
  end: strictInstant,
};

export const bookVisitBody = z.strictObject({
  caseIds: z.array(z.uuid()).min(1).max(60).describe('The participants: one case, or residents of one group request'),
  ...allocationBody,
  place: z.strictObject({
    kind: z.enum(PLACE_KINDS),
    institutionId: z.uuid().optional(),
    address: singleLineText(300).describe('Street, number, postcode, town (personal: sealed)'),
  }),
});
export const rescheduleBody = z.strictObject(allocationBody);
export const confirmBody = z.strictObject({ confirmedBy: z.enum(CONFIRMED_BY) });
export const cancelBody = z.strictObject({ reason: z.enum(CANCEL_REASONS) });

export const proposalView = z.object({
  date: z.string(),
  start: z.string(),
  end: z.string(),
  localStart: z.string(),
  localEnd: z.string(),
  kitId: z.string(),
  staffIds: z.array(z.string()),
  caseIds: z.array(z.string()),
});
export const proposalsView = z
  .object({
    minutes: z.number().int().describe('Set-up, every participant service, pack-away'),
    requiredDevices: z.array(z.string()),
    proposals: z.array(proposalView),
    remainingCaseIds: z
      .array(z.string())
      .describe('Participants who do not fit into one day with the others: to plan on another visit'),
  })
  .describe('The earliest feasible slots, preferred dates first');
