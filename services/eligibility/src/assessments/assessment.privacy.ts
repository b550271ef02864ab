import type { PersonalDataPolicy } from '@buergerkoffer/shared/privacy';

/** Health data the pre-check looked at stays sealed per applicant in eligibility's events too (`as const`: see the
 *  codec in assessment.events.ts). */
export const assessmentPersonalData = {
  AssessmentPrechecked: [{ subject: 'applicantSubjectId', fields: ['input.mobility'] }],
} as const satisfies PersonalDataPolicy;
