/**
 * A municipality's rules for the mobile office, versioned with an effective date (stream `ruleSet-<tenant>`).
 * Other cities' variants are data, not code: another minimum care level, other marks, temporary immobility with an
 * urgent matter, other institution kinds, fewer services.
 */
import { SERVICE_IDS } from '@buergerkoffer/shared/contracts';
import { eventCodec } from '@buergerkoffer/shared/event-sourcing';
import { z } from 'zod';

export const institutionKinds = z.enum(['care-home', 'assisted-living', 'hospital', 'prison', 'other']);

export const ruleSetRules = z.strictObject({
  individual: z.strictObject({
    /** Care level (Pflegegrad) from which an individual qualifies; null: care level alone never qualifies. */
    minCareLevel: z.number().int().min(1).max(5).nullable(),
    /** Disability marks that qualify on their own (e.g. aG). */
    qualifyingMarks: z.array(z.string().min(1).max(8)).max(10),
    requirePermanentlyHomebound: z.boolean(),
    /** Elsewhere: temporary immobility qualifies when the matter is urgent (the officer confirms it). */
    allowTemporaryImmobilityWithUrgentMatter: z.boolean(),
  }),
  /** Residents of registered institutions of these kinds qualify through the institution. */
  institutionKinds: z.array(institutionKinds).max(5),
  /** The services offered by the mobile office of this municipality. */
  services: z.array(z.enum(SERVICE_IDS)).min(1),
});
export type RuleSetRules = z.infer<typeof ruleSetRules>;

export const ruleSetPublished = z.object({
  type: z.literal('RuleSetPublished'),
  data: z.object({
    tenantId: z.string().min(1),
    version: z.number().int().min(1),
    effectiveFrom: z.iso.date(),
    rules: ruleSetRules,
    publishedBy: z.string(),
    publishedAt: z.iso.datetime(),
  }),
});
export type RuleSetPublished = z.infer<typeof ruleSetPublished>;
export const ruleSetEvent = z.discriminatedUnion('type', [ruleSetPublished]);
export type RuleSetEvent = z.infer<typeof ruleSetEvent>;
/** Stored → domain events of the rule sets (nothing personal in them). */
export const ruleSetCodec = eventCodec(ruleSetEvent);

/** The seed city's policy (domain.md): homebound and (care level ≥ 4 or mark aG); care homes and assisted living. */
export const DEFAULT_RULES: RuleSetRules = {
  individual: {
    minCareLevel: 4,
    qualifyingMarks: ['aG'],
    requirePermanentlyHomebound: true,
    allowTemporaryImmobilityWithUrgentMatter: false,
  },
  institutionKinds: ['care-home', 'assisted-living'],
  services: [...SERVICE_IDS],
};
