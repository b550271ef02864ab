/**
 * Integration events the eligibility service publishes on `eligibility.assessment.v1`, for scheduling to act on.
 * Each names the rule-set version its pre-check used. Frozen once published: a change is a new version.
 *
 * Since issue 13 the service publishes the `.v2` types only: what a consumer needs to plan a visit (which case, in
 * which state, under which rule set, when) and nothing that reveals health — the v1 types carried the pre-check's
 * outcome, the failed rules (which, against the public rule set, tell care level and marks), whether an officer
 * overrode them, and the officers' free text, in clear and keyed by case. The v1 schemas stay, for events published
 * before and still on the topic.
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

export const eligibilityPrecheckedV2 = z.object({
  caseId: z.string(),
  ruleSetVersion: z.number().int().min(0),
  checkedAt: z.iso.datetime(),
});
export const eligibilityEvidenceRequestedV2 = z.object({ caseId: z.string(), decidedAt: z.iso.datetime() });
/** The case qualifies for a visit: what scheduling plans from. */
export const eligibilityApprovedV2 = z.object({
  caseId: z.string(),
  ruleSetVersion: z.number().int().min(0),
  decidedAt: z.iso.datetime(),
});
export const eligibilityRejectedV2 = z.object({
  caseId: z.string(),
  ruleSetVersion: z.number().int().min(0),
  decidedAt: z.iso.datetime(),
});

/** What the service publishes now. */
export const eligibilityAssessmentContractsV2 = {
  'eligibility.assessment.prechecked.v2': eligibilityPrecheckedV2,
  'eligibility.assessment.evidence-requested.v2': eligibilityEvidenceRequestedV2,
  'eligibility.assessment.approved.v2': eligibilityApprovedV2,
  'eligibility.assessment.rejected.v2': eligibilityRejectedV2,
} as const;

/** Every type a consumer of the topic may meet (v1 published before issue 13). */
export const eligibilityAssessmentContracts = {
  ...eligibilityAssessmentContractsV2,
  'eligibility.assessment.prechecked.v1': eligibilityPrecheckedV1,
  'eligibility.assessment.evidence-requested.v1': eligibilityEvidenceRequestedV1,
  'eligibility.assessment.approved.v1': eligibilityApprovedV1,
  'eligibility.assessment.rejected.v1': eligibilityRejectedV1,
} as const;
