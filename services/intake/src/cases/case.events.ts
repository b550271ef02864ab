/**
 * The intake case's domain events. A case is about one applicant, who is the beneficiary of every service requested:
 * there is no field through which a request for a third party's own matters could be expressed. Personal fields
 * (applicant, mobility — health data —, contact person) are sealed per data subject by the store (case.privacy.ts).
 */
import { eventCodec } from '@buergerkoffer/shared/event-sourcing';
import { z } from 'zod';
import { SERVICE_IDS } from '../catalogue.ts';
import { casePersonalData } from './case.privacy.ts';

export const serviceId = z.enum(SERVICE_IDS);
export const channel = z.enum(['phone-115', 'email', 'institution', 'counter']);
export const relation = z.enum(['relative', 'carer', 'legal-guardian', 'institution-staff']);
export const evidenceKind = z.enum(['care-level-notice', 'disability-card', 'medical-certificate', 'other']);

export const address = z.object({
  street: z.string().min(1).max(200),
  houseNumber: z.string().min(1).max(20),
  postalCode: z.string().regex(/^\d{5}$/, 'a 5-digit German postal code'),
  city: z.string().min(1).max(100),
  addition: z.string().max(100).optional(),
});

export const applicant = z.object({
  /** The data subject: the key that seals this person's data. */
  subjectId: z.string().uuid(),
  givenNames: z.string().min(1).max(200),
  familyName: z.string().min(1).max(200),
  birthDate: z.iso.date(),
  address,
  phone: z.string().min(3).max(40).optional(),
  email: z.string().email().max(200).optional(),
});

/** Claims about mobility, as stated: care level 0–5 or none, disability marks, permanently homebound. No diagnoses. */
export const mobility = z.object({
  careLevel: z.number().int().min(0).max(5).nullable(),
  disabilityMarks: z.array(z.enum(['aG', 'Bl', 'H', 'G', 'B', 'TBl', 'Gl', 'RF'])).max(8),
  permanentlyHomebound: z.boolean(),
});

export const contactPerson = z.object({
  name: z.string().min(1).max(200),
  relation,
  phone: z.string().min(3).max(40).optional(),
  email: z.string().email().max(200).optional(),
});

export const caseOpened = z.object({
  type: z.literal('CaseOpened'),
  data: z.object({
    caseId: z.string().uuid(),
    reference: z.string().regex(/^MB-\d{4}-\d{5,}$/),
    applicant,
    requestedServices: z.array(serviceId).min(1),
    mobility,
    channel,
    contactPerson: contactPerson.optional(),
    groupRequestId: z.string().uuid().optional(),
    institutionId: z.string().uuid().optional(),
    /** The kind of the resident's institution (residents qualify through it). */
    institutionKind: z.enum(['care-home', 'assisted-living', 'hospital', 'prison', 'other']).optional(),
    /** Open cases of the same tenant with the same normalised name and birth date: flagged, not rejected. */
    possibleDuplicateOf: z.array(z.string().uuid()),
    openedAt: z.iso.datetime(),
  }),
});

export const servicesChanged = z.object({
  type: z.literal('ServicesChanged'),
  data: z.object({
    caseId: z.string().uuid(),
    added: z.array(serviceId),
    removed: z.array(serviceId),
    requestedServices: z.array(serviceId).min(1),
    changedAt: z.iso.datetime(),
  }),
});

export const evidenceAttached = z.object({
  type: z.literal('EvidenceAttached'),
  data: z.object({
    caseId: z.string().uuid(),
    evidenceId: z.string().uuid(),
    /** The applicant, whose key seals the reference (case.privacy.ts); absent in events from before issue 13. */
    subjectId: z.string().uuid().optional(),
    kind: evidenceKind,
    /** Where the document is kept (e.g. the DMS id): never the document itself. */
    documentReference: z.string().min(1).max(500),
    checksum: z.string().regex(/^sha256:[0-9a-f]{64}$/),
    attachedAt: z.iso.datetime(),
  }),
});

export const contactPersonUpdated = z.object({
  type: z.literal('ContactPersonUpdated'),
  data: z.object({
    caseId: z.string().uuid(),
    subjectId: z.string().uuid(),
    contactPerson: contactPerson.nullable(),
    updatedAt: z.iso.datetime(),
  }),
});

export const caseWithdrawn = z.object({
  type: z.literal('CaseWithdrawn'),
  data: z.object({
    caseId: z.string().uuid(),
    /** The applicant, whose key seals the reason (case.privacy.ts); absent in events from before issue 13. */
    subjectId: z.string().uuid().optional(),
    reason: z.string().min(1).max(1_000),
    withdrawnAt: z.iso.datetime(),
  }),
});

export const caseEvent = z.discriminatedUnion('type', [
  caseOpened,
  servicesChanged,
  evidenceAttached,
  contactPersonUpdated,
  caseWithdrawn,
]);
export type CaseEvent = z.infer<typeof caseEvent>;
/** Stored → domain events of the case, wherever they are read (shared/event-sourcing/codec.ts). */
export const caseCodec = eventCodec(caseEvent, { personal: casePersonalData });
export type CaseOpened = z.infer<typeof caseOpened>;
export type Applicant = z.infer<typeof applicant>;
export type Mobility = z.infer<typeof mobility>;
export type ContactPerson = z.infer<typeof contactPerson>;
export type ServiceIdType = z.infer<typeof serviceId>;
