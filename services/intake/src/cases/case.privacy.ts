import type { PersonalDataPolicy } from '@buergerkoffer/shared/privacy';

/**
 * What of the case is personal, and whose: sealed per applicant (names, address, contact data, health claims).
 * `as const`: the codec (case.events.ts) reads the paths as types too, for the events as stored.
 */
export const casePersonalData = {
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
} as const satisfies PersonalDataPolicy;
