/**
 * Who a participant is, as the kit's team needs it at the door (stream `fieldParticipant-<caseId>`): the case's
 * reference, the applicant's names, birth date (to check identity) and address — taken from intake's
 * `intake.case.opened.v3`, where they travel sealed with the applicant's key, and stored sealed with the same key
 * (so erasing the applicant erases this copy too). Read only through the disclosure policy (manifest.ts).
 * Kept out of the case's history (no case in the metadata): the facts are there from intake.
 */
import { eventCodec } from '@buergerkoffer/shared/event-sourcing';
import type { PersonalDataPolicy } from '@buergerkoffer/shared/privacy';
import { z } from 'zod';

export const participantPersonalData = {
  ParticipantRegistered: [
    {
      subject: 'applicant.subjectId',
      fields: ['applicant.givenNames', 'applicant.familyName', 'applicant.birthDate', 'applicant.address'],
    },
  ],
} as const satisfies PersonalDataPolicy;

export const participantRegistered = z.object({
  type: z.literal('ParticipantRegistered'),
  data: z.object({
    caseId: z.uuid(),
    reference: z.string(),
    applicant: z.object({
      subjectId: z.uuid(),
      /** Absent where intake's event could not be opened (the subject erased before fieldkit heard of the case). */
      givenNames: z.string().optional(),
      familyName: z.string().optional(),
      birthDate: z.string().optional(),
      address: z.record(z.string(), z.string()).optional(),
    }),
    registeredAt: z.iso.datetime(),
  }),
});
export const participantEvent = z.discriminatedUnion('type', [participantRegistered]);
export type ParticipantEvent = z.infer<typeof participantEvent>;
export const participantCodec = eventCodec(participantEvent, { personal: participantPersonalData });

export const PARTICIPANT_CATEGORY = 'fieldParticipant';
export const toParticipantStreamName = (caseId: string): string => `${PARTICIPANT_CATEGORY}-${caseId}`;
