/**
 * Integration events the intake service publishes on `intake.case.v1` (CloudEvents `ce_type`s below, keyed by case
 * id). Published schemas are frozen: a change is a new version. Personal fields travel sealed (see privacy/):
 * `mobility` is health data, readable only where the data subject's key may be used.
 */
import { z } from 'zod';

export const INTAKE_CASE_TOPIC = 'intake.case.v1';
export const INTAKE_SOURCE = '/buergerkoffer/intake';

const sealed = z.object({ $pd: z.literal('v1'), sub: z.string(), iv: z.string(), ct: z.string() });
const serviceIds = z.array(z.string().min(1)).min(1);

export const intakeCaseOpenedV1 = z.object({
  caseId: z.uuid(),
  reference: z.string(),
  applicantSubjectId: z.uuid(),
  requestedServices: serviceIds,
  mobility: sealed,
  channel: z.enum(['phone-115', 'email', 'institution', 'counter']),
  groupRequestId: z.uuid().optional(),
  institutionId: z.uuid().optional(),
  institutionKind: z.enum(['care-home', 'assisted-living', 'hospital', 'prison', 'other']).optional(),
  possibleDuplicateOf: z.array(z.uuid()),
  openedAt: z.iso.datetime(),
});

export const intakeServicesChangedV1 = z.object({
  caseId: z.uuid(),
  added: z.array(z.string()),
  removed: z.array(z.string()),
  requestedServices: serviceIds,
  changedAt: z.iso.datetime(),
});

export const intakeEvidenceAttachedV1 = z.object({
  caseId: z.uuid(),
  evidenceId: z.uuid(),
  kind: z.enum(['care-level-notice', 'disability-card', 'medical-certificate', 'other']),
  checksum: z.string(),
  attachedAt: z.iso.datetime(),
});

export const intakeCaseWithdrawnV1 = z.object({
  caseId: z.uuid(),
  reason: z.string(),
  withdrawnAt: z.iso.datetime(),
});

/**
 * Since issue 13 the opening carries the kind of institution sealed (a care home or hospital says something of the
 * resident's health; eligibility opens it for the pre-check) and the withdrawal no reason (free text that may
 * describe health — "verstorben" —, which no consumer needs), the evidence's attachment no kind of evidence.
 * Everything else as in v1.
 */
export const intakeCaseOpenedV2 = intakeCaseOpenedV1.extend({ institutionKind: sealed.optional() });
export const intakeCaseWithdrawnV2 = z.object({ caseId: z.uuid(), withdrawnAt: z.iso.datetime() });
/** Without the kind of evidence (a disability card, a care-level notice: what the applicant has). */
export const intakeEvidenceAttachedV2 = intakeEvidenceAttachedV1.omit({ kind: true });

/**
 * Since issue 15 the opening carries, sealed at the places they were stored (so the applicant's key opens them), who
 * the applicant is and where they live: what the kit's team needs at the door (fieldkit's manifest). Not the phone,
 * e-mail or contact person, which stay inside intake.
 */
export const intakeCaseOpenedV3 = intakeCaseOpenedV2.extend({
  applicant: z.object({ givenNames: sealed, familyName: sealed, birthDate: sealed, address: sealed }),
});

/** What intake published from issue 13 until issue 15. */
export const intakeCaseContractsV2 = {
  'intake.case.opened.v2': intakeCaseOpenedV2,
  'intake.case.services-changed.v1': intakeServicesChangedV1,
  'intake.case.evidence-attached.v2': intakeEvidenceAttachedV2,
  'intake.case.withdrawn.v2': intakeCaseWithdrawnV2,
} as const;

/** What intake publishes now (its relay checks each event against these before it sends). */
export const intakeCaseContractsV3 = {
  'intake.case.opened.v3': intakeCaseOpenedV3,
  'intake.case.services-changed.v1': intakeServicesChangedV1,
  'intake.case.evidence-attached.v2': intakeEvidenceAttachedV2,
  'intake.case.withdrawn.v2': intakeCaseWithdrawnV2,
} as const;

/** `ce_type` → schema, for consumers of `intake.case.v1`: what is published now and what was before. */
export const intakeCaseContracts = {
  ...intakeCaseContractsV3,
  'intake.case.opened.v2': intakeCaseOpenedV2,
  'intake.case.opened.v1': intakeCaseOpenedV1,
  'intake.case.services-changed.v1': intakeServicesChangedV1,
  'intake.case.evidence-attached.v1': intakeEvidenceAttachedV1,
  'intake.case.withdrawn.v1': intakeCaseWithdrawnV1,
} as const;

/** The same events as one union of type and data: what a consumer reads a received event through, to narrow on. */
export const intakeCaseEvent = z.discriminatedUnion('type', [
  z.object({ type: z.literal('intake.case.opened.v1'), data: intakeCaseOpenedV1 }),
  z.object({ type: z.literal('intake.case.services-changed.v1'), data: intakeServicesChangedV1 }),
  z.object({ type: z.literal('intake.case.evidence-attached.v1'), data: intakeEvidenceAttachedV1 }),
  z.object({ type: z.literal('intake.case.withdrawn.v1'), data: intakeCaseWithdrawnV1 }),
  z.object({ type: z.literal('intake.case.opened.v2'), data: intakeCaseOpenedV2 }),
  z.object({ type: z.literal('intake.case.opened.v3'), data: intakeCaseOpenedV3 }),
  z.object({ type: z.literal('intake.case.withdrawn.v2'), data: intakeCaseWithdrawnV2 }),
  z.object({ type: z.literal('intake.case.evidence-attached.v2'), data: intakeEvidenceAttachedV2 }),
]);
export type IntakeCaseEvent = z.infer<typeof intakeCaseEvent>;
