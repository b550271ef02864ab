/**
 * The data subjects' rights as stored events (stream `privacySubject-<subjectId>`, casefile's): legal holds, and
 * the erasure (GDPR Art. 17). Every service reads `SubjectErased` to forget what it derived from the subject — a
 * duplicate-lookup HMAC, a cached key — so its shape is declared here, once, not in casefile's code. The erasure is
 * recorded once per case of the subject, each naming its case: every case's history shows that, when and on which
 * ground its applicant was erased (without any of the erased data).
 */
import { z } from 'zod';

export const PRIVACY_SUBJECT_CATEGORY = 'privacySubject';
export const privacySubjectStream = (subjectId: string): string => `${PRIVACY_SUBJECT_CATEGORY}-${subjectId}`;

/** Art. 17(1) (a)–(f): why the subject's data is erased. */
export const ERASURE_GROUNDS = [
  'no-longer-necessary',
  'consent-withdrawn',
  'objection',
  'unlawfully-processed',
  'legal-obligation',
  'offered-to-child',
] as const;
/** Why data must be kept despite a request for erasure (Art. 17(3)). */
export const LEGAL_HOLD_GROUNDS = ['legal-claim', 'retention-obligation', 'public-interest', 'investigation'] as const;

/** A file reference (e.g. "DSB 2026/17"): letters, digits and a few separators — never free text. */
export const fileReference = z
  .string()
  .regex(/^[\p{L}\p{N}][\p{L}\p{N} ./_:-]{0,63}$/u, 'a file reference: letters, digits, space and . / _ : -');

const by = { by: z.string(), at: z.iso.datetime(), reference: fileReference.optional() };

export const legalHoldPlaced = z.object({
  type: z.literal('LegalHoldPlaced'),
  data: z.object({ subjectId: z.string(), ground: z.enum(LEGAL_HOLD_GROUNDS), ...by }),
});
export const legalHoldLifted = z.object({
  type: z.literal('LegalHoldLifted'),
  data: z.object({ subjectId: z.string(), ...by }),
});
export const subjectErased = z.object({
  type: z.literal('SubjectErased'),
  data: z.object({
    subjectId: z.string(),
    /** The case this record is for (one record per case of the subject). */
    caseId: z.string(),
    ground: z.enum(ERASURE_GROUNDS),
    ...by,
  }),
});

export const privacySubjectEvent = z.discriminatedUnion('type', [legalHoldPlaced, legalHoldLifted, subjectErased]);
export type PrivacySubjectEvent = z.infer<typeof privacySubjectEvent>;
export type SubjectErased = z.infer<typeof subjectErased>;
