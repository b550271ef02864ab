import type { PersonalDataPolicy } from '@buergerkoffer/shared/privacy';

/**
 * What of the case is personal, and whose: sealed per applicant (names, address, contact data, health claims, the
 * kind of institution one lives in — a care home or hospital says something of one's health —, and the free text
 * that may describe health: why a case was withdrawn ("verstorben"), what a piece of evidence is ("Bescheid
 * Pflegekasse: PG 4")).
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
        'institutionKind',
      ],
    },
  ],
  EvidenceAttached: [{ subject: 'subjectId', fallbackSubject: 'caseId', fields: ['documentReference'] }],
  CaseWithdrawn: [{ subject: 'subjectId', fallbackSubject: 'caseId', fields: ['reason'] }],
  ContactPersonUpdated: [{ subject: 'subjectId', fields: ['contactPerson'] }],
  // The institution's contact is a member of staff: sealed, with the institution as data subject.
  InstitutionRegistered: [{ subject: 'institutionId', fields: ['contact'] }],
} as const satisfies PersonalDataPolicy;
