/**
 * Integration events the eligibility service publishes on `eligibility.assessment.v1`, for scheduling to act on.
 * Each names the rule-set version its pre-check used. Frozen once published: a change is a new version.
 */
import { z } from 'zod';

export const ELIGIBILITY_ASSESSMENT_TOPIC = 'eligibility.assessment.v1';
export const ELIGIBILITY_SOURCE = '/buergerkoffer/eligibility';

const precheck = z.object({
  outcome: z.enum(['likely-eligible', 'not-eligible', 'needs-evidence']),
  ruleSetVersion: z.number().int().min(0),
  failedRules: z.array(z.string()),
});

export const eligibilityPrecheckedV1 = z.object({ caseId: z.string(), precheck, checkedAt: z.iso.datetime() });
export const eligibilityEvidenceRequestedV1 = z.object({
  caseId: z.string(),
  missing: z.string(),
  decidedAt: z.iso.datetime(),
});
export const eligibilityApprovedV1 = z.object({
  caseId: z.string(),
  ruleSetVersion: z.number().int().min(0),
  override: z.boolean(),
  decidedAt: z.iso.datetime(),
});
export const eligibilityRejectedV1 = z.object({
  caseId: z.string(),
  ruleSetVersion: z.number().int().min(0),
  reason: z.string(),
  decidedAt: z.iso.datetime(),
});

export const eligibilityAssessmentContracts = {
  'eligibility.assessment.prechecked.v1': eligibilityPrecheckedV1,
  'eligibility.assessment.evidence-requested.v1': eligibilityEvidenceRequestedV1,
  'eligibility.assessment.approved.v1': eligibilityApprovedV1,
  'eligibility.assessment.rejected.v1': eligibilityRejectedV1,
} as const;
