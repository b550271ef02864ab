import type { PersonalDataPolicy } from '@buergerkoffer/shared/privacy';

/**
 * What of a visit is personal: the address of a home visit (where the applicant lives), sealed with the applicant's
 * key, so that their erasure shreds it here too. A visit at an institution names no one's home: its address is
 * sealed under the visit's own id all the same (one rule for every place). Participants appear as case ids and
 * subject ids only; nothing else about them is stored here.
 */
const place = { subject: 'placeSubjectId', fallbackSubject: 'visitId', fields: ['place.address'] } as const;

export const visitPersonalData = {
  VisitBookingStarted: [place],
} as const satisfies PersonalDataPolicy;
