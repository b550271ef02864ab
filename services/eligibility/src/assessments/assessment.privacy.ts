import type { PersonalDataPolicy } from '@buergerkoffer/shared/privacy';

/**
 * What of the assessment is personal, sealed per applicant at the source (`as const`: see the codec in
 * assessment.events.ts): the claims the pre-check looked at, its outcome and each rule's result (which rule passed
 * reveals the care level or marks against the public rule set: health data, Art. 9 GDPR), the kind of institution,
 * and the officers' free text — reasons, overrides, the missing evidence — which may describe health ("bettlägerig
 * seit 10/2026"). An assessment whose events do not name the applicant (begun before they did) seals under its case
 * id. What stays clear: the status, the rule-set version, who decided and when.
 */
const about = { subject: 'applicantSubjectId', fallbackSubject: 'caseId' } as const;

export const assessmentPersonalData = {
  AssessmentPrechecked: [
    { ...about, fields: ['input.mobility', 'input.institutionKind', 'precheck.outcome', 'precheck.rules'] },
  ],
  EvidenceRequested: [{ ...about, fields: ['missing'] }],
  NecessityConfirmed: [{ ...about, fields: ['reason', 'override'] }],
  CaseRejected: [{ ...about, fields: ['reason'] }],
  AssessmentReopened: [{ ...about, fields: ['reason'] }],
} as const satisfies PersonalDataPolicy;
