import type { PersonalDataPolicy } from '@buergerkoffer/shared/privacy';

/** Health data the pre-check looked at stays sealed per applicant in eligibility's events too. */
export const assessmentPersonalData: PersonalDataPolicy = {
  AssessmentPrechecked: [{ subject: 'applicantSubjectId', fields: ['input.mobility'] }],
};
