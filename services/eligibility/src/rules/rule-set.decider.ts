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

/** A version whose effective date lies beyond latestEffectiveDate. */
export class EffectiveDateTooFarAhead extends DomainError {
  readonly code = 'effective-date-too-far-ahead';
  readonly kind = 'validation' as const;
}

/**
 * How many years ahead a version may take effect. A council decides its rules and announces them months ahead, a
 * year or so at most; a date further out is a typo (2062 for 2026, 9999-12-31): the rules meant would wait decades,
 * or for ever, while the history lists them as published.
 */
export const MAX_YEARS_AHEAD = 2;

/** The latest effective date a version published on `today` (YYYY-MM-DD) may have. */
export function latestEffectiveDate(today: string): string {
  const latest = new Date(`${today}T00:00:00.000Z`);
  latest.setUTCFullYear(latest.getUTCFullYear() + MAX_YEARS_AHEAD);
  return latest.toISOString().slice(0, 10);
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
    const latest = latestEffectiveDate(command.now.slice(0, 10));
    if (command.effectiveFrom > latest) {
      throw new EffectiveDateTooFarAhead(`effectiveFrom ${command.effectiveFrom} lies after ${latest}`);
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
