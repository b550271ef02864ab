/**
 * The request that publishes a rule set (`POST /rule-sets`). Stricter than the event's schema (rule-set.events.ts),
 * which must go on reading versions stored before these checks: a mark off the closed list qualifies no one (an
 * unknown "XX" silently disabled the rule), a repeated entry says nothing, and the effective date lies between the
 * service clock's day and the latest the decider takes (latestEffectiveDate).
 */
import { dayOf, disabilityMarks, SERVICE_IDS, uniqueList, upcomingDate } from '@buergerkoffer/shared/contracts';
import { z } from 'zod';
import { latestEffectiveDate, MAX_YEARS_AHEAD } from './rule-set.decider.ts';
import { institutionKinds } from './rule-set.events.ts';

export const publishRuleSetInput = (now: () => Date) =>
  z.strictObject({
    effectiveFrom: upcomingDate(now).refine(
      (date) => date <= latestEffectiveDate(dayOf(now())),
      `not more than ${MAX_YEARS_AHEAD} years ahead`,
    ),
    individual: z.strictObject({
      minCareLevel: z.number().int().min(1).max(5).nullable(),
      /** Of the closed list, each once. */
      qualifyingMarks: disabilityMarks,
      requirePermanentlyHomebound: z.boolean(),
      allowTemporaryImmobilityWithUrgentMatter: z.boolean(),
    }),
    institutionKinds: uniqueList(institutionKinds, { max: institutionKinds.options.length }),
    services: uniqueList(z.enum(SERVICE_IDS), { min: 1, max: SERVICE_IDS.length }),
  });
