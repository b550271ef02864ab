import type { PersonalDataPolicy } from '@buergerkoffer/shared/privacy';

/**
 * What of a visit is personal: its address wherever it is not an institution (a home, a relative's flat, a hospital
 * room: where the applicant is), sealed with the applicant's key, so that their erasure shreds it here too. A visit
 * at an institution names no one's home: its address is sealed under the visit's own id all the same. Participants appear as case ids and
 * subject ids only; nothing else about them is stored here.
 */
const place = { subject: 'placeSubjectId', fallbackSubject: 'visitId', fields: ['place.address'] } as const;

export const visitPersonalData = {
  VisitBookingStarted: [place],
} as const satisfies PersonalDataPolicy;
