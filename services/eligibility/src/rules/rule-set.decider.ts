/**
 * A tenant's rule sets: each publication is the next version with its effective date. A version effective from a
 * future date leaves cases checked before then under the version in force at their check.
 */
import { type Decider, DomainError } from '@buergerkoffer/shared/event-sourcing';
import { DEFAULT_RULES, type RuleSetEvent, type RuleSetPublished, type RuleSetRules } from './rule-set.events.ts';

export type RuleSetCommand = {
  readonly type: 'PublishRuleSet';
  readonly tenantId: string;
  readonly effectiveFrom: string;
  readonly rules: RuleSetRules;
  readonly publishedBy: string;
  readonly now: string;
};

export interface RuleSetVersion {
  readonly version: number;
  readonly effectiveFrom: string;
  readonly rules: RuleSetRules;
}

export type RuleSetState = { readonly versions: readonly RuleSetVersion[] };

export class EffectiveDateInThePast extends DomainError {
  readonly code = 'effective-date-in-the-past';
  readonly kind = 'validation' as const;
}

export const toRuleSetStreamName = (tenantId: string): string =>
  `ruleSet-${tenantId.replace(/[^A-Za-z0-9._:@-]/g, '_')}`;

/** Version 0: the seed policy, in force for a tenant until it publishes its own. */
export const DEFAULT_VERSION: RuleSetVersion = { version: 0, effectiveFrom: '1970-01-01', rules: DEFAULT_RULES };

/** The version in force on `date` (YYYY-MM-DD): the newest whose effective date has come. */
export function ruleSetInForce(state: RuleSetState, date: string): RuleSetVersion {
  const inForce = state.versions.filter((v) => v.effectiveFrom <= date);
  return inForce.reduce<RuleSetVersion>(
    (best, v) =>
      v.effectiveFrom > best.effectiveFrom || (v.effectiveFrom === best.effectiveFrom && v.version > best.version)
        ? v
        : best,
    DEFAULT_VERSION,
  );
}

export const ruleSetDecider: Decider<RuleSetCommand, RuleSetEvent, RuleSetState> = {
  initialState: () => ({ versions: [] }),
  evolve: (state, event: RuleSetPublished) => ({
    versions: [
      ...state.versions,
      { version: event.data.version, effectiveFrom: event.data.effectiveFrom, rules: event.data.rules },
    ],
  }),
  decide(command, state) {
    if (command.effectiveFrom < command.now.slice(0, 10)) {
      throw new EffectiveDateInThePast(
        `effectiveFrom ${command.effectiveFrom} lies in the past: rules never change history`,
      );
    }
    return [
      {
        type: 'RuleSetPublished',
        data: {
          tenantId: command.tenantId,
          version: (state.versions.at(-1)?.version ?? 0) + 1,
          effectiveFrom: command.effectiveFrom,
          rules: command.rules,
          publishedBy: command.publishedBy,
          publishedAt: command.now,
        },
      },
    ];
  },
};
