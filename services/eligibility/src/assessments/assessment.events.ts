/**
 * The eligibility assessment of one case (stream `eligibility-<caseId>`): the automatic pre-check and the officer's
 * necessity check. Decisions record what was decided, by whom, when and why — never copies of documents.
 */
import { eventCodec } from '@buergerkoffer/shared/event-sourcing';
import { z } from 'zod';
import { assessmentPersonalData } from './assessment.privacy.ts';

export const ruleResult = z.object({ rule: z.string(), passed: z.boolean(), detail: z.string() });
export const precheckResult = z.object({
  outcome: z.enum(['likely-eligible', 'not-eligible', 'needs-evidence']),
  ruleSetVersion: z.number().int().min(0),
  rules: z.array(ruleResult),
});
/** Who decided, when — and about whom: the applicant, whose key seals the decision's reasons (assessment.privacy.ts).
 *  Optional: assessments begun before the pre-check carried the applicant have none (their case id stands in). */
const by = z.object({
  decidedBy: z.string(),
  decidedAt: z.iso.datetime(),
  applicantSubjectId: z.string().optional(),
});

/** The applicant's mobility claims as intake took them (health data). */
export const mobilityClaims = z.object({
  careLevel: z.number().int().nullable(),
  disabilityMarks: z.array(z.string()),
  permanentlyHomebound: z.boolean(),
});
/** What the pre-check looked at, kept for re-checks when the case changes (mobility sealed per applicant). */
export const precheckInput = z.object({
  requestedServices: z.array(z.string()),
  mobility: mobilityClaims.optional(),
  institutionKind: z.string().optional(),
});

export const assessmentPrechecked = z.object({
  type: z.literal('AssessmentPrechecked'),
  data: z.object({
    caseId: z.string(),
    applicantSubjectId: z.string().optional(),
    input: precheckInput,
    precheck: precheckResult,
    checkedAt: z.iso.datetime(),
  }),
});
export const evidenceRequested = z.object({
  type: z.literal('EvidenceRequested'),
  data: z.object({ caseId: z.string(), missing: z.string().min(1) }).extend(by.shape),
});
export const necessityConfirmed = z.object({
  type: z.literal('NecessityConfirmed'),
  data: z
    .object({
      caseId: z.string(),
      /** The rule set the decision was taken under (its pre-check's). */
      ruleSetVersion: z.number().int().min(0),
      reason: z.string().optional(),
      override: z.string().optional(),
    })
    .extend(by.shape),
});
export const caseRejected = z.object({
  type: z.literal('CaseRejected'),
  data: z
    .object({ caseId: z.string(), ruleSetVersion: z.number().int().min(0), reason: z.string().min(1) })
    .extend(by.shape),
});
export const assessmentReopened = z.object({
  type: z.literal('AssessmentReopened'),
  data: z.object({ caseId: z.string(), reason: z.string().min(1) }).extend(by.shape),
});
export const assessmentClosed = z.object({
  type: z.literal('AssessmentClosed'),
  data: z.object({
    caseId: z.string(),
    reason: z.string(),
    closedAt: z.iso.datetime(),
    applicantSubjectId: z.string().optional(),
  }),
});

export const assessmentEvent = z.discriminatedUnion('type', [
  assessmentPrechecked,
  evidenceRequested,
  necessityConfirmed,
  caseRejected,
  assessmentReopened,
  assessmentClosed,
]);
export type AssessmentEvent = z.infer<typeof assessmentEvent>;
/** Stored → domain events of the assessment, wherever they are read (shared/event-sourcing/codec.ts). */
export const assessmentCodec = eventCodec(assessmentEvent, { personal: assessmentPersonalData });
export type PrecheckResult = z.infer<typeof precheckResult>;
export type PrecheckInputData = z.infer<typeof precheckInput>;
