/** Institutions (care homes, …) whose residents the office visits in group appointments, and their group requests. */
import { eventCodec } from '@buergerkoffer/shared/event-sourcing';
import { z } from 'zod';
import { address } from '../cases/case.events.ts';
import { casePersonalData } from '../cases/case.privacy.ts';

export const institutionKind = z.enum(['care-home', 'assisted-living', 'hospital', 'prison', 'other']);

export const institutionContact = z.object({
  name: z.string().min(1).max(200),
  phone: z.string().min(3).max(40).optional(),
  email: z.email().max(200).optional(),
});

export const institutionRegistered = z.object({
  type: z.literal('InstitutionRegistered'),
  data: z.object({
    institutionId: z.uuid(),
    name: z.string().min(1).max(200),
    kind: institutionKind,
    address,
    /** A member of staff: personal data, sealed with the institution as data subject. */
    contact: institutionContact,
    registeredAt: z.iso.datetime(),
  }),
});

export const groupRequested = z.object({
  type: z.literal('GroupRequested'),
  data: z.object({
    groupRequestId: z.uuid(),
    institutionId: z.uuid(),
    /** One case per resident, each with its own applicant and services. */
    caseIds: z.array(z.uuid()).min(1),
    preferredDates: z.array(z.iso.date()),
    requestedAt: z.iso.datetime(),
  }),
});

export const institutionEvent = z.discriminatedUnion('type', [institutionRegistered, groupRequested]);
export type InstitutionEvent = z.infer<typeof institutionEvent>;
/** Stored → domain events of the institution (intake's one policy names the contact's fields). */
export const institutionCodec = eventCodec(institutionEvent, { personal: casePersonalData });
