import type { PersonalDataPolicy } from '@buergerkoffer/shared/privacy';

/** What of the case is personal, and whose: sealed per applicant (names, address, contact data, health claims). */
export const casePersonalData: PersonalDataPolicy = {
  CaseOpened: [
    {
      subject: 'applicant.subjectId',
      fields: [
        'applicant.givenNames',
        'applicant.familyName',
        'applicant.birthDate',
        'applicant.address',
        'applicant.phone',
        'applicant.email',
        'mobility',
        'contactPerson',
      ],
    },
  ],
  ContactPersonUpdated: [{ subject: 'subjectId', fields: ['contactPerson'] }],
  // The institution's contact is a member of staff: sealed, with the institution as data subject.
  InstitutionRegistered: [{ subject: 'institutionId', fields: ['contact'] }],
};
