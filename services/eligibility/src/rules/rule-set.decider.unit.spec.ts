import { DeciderSpecification } from '@buergerkoffer/shared/testing';
import { describe, expect, it } from 'vitest';
import {
  EffectiveDateInThePast,
  EffectiveDateTooFarAhead,
  latestEffectiveDate,
  ruleSetDecider,
  ruleSetInForce,
} from './rule-set.decider.ts';
import { DEFAULT_RULES, type RuleSetPublished } from './rule-set.events.ts';

const spec = DeciderSpecification.for(ruleSetDecider);
const now = '2026-11-25T10:00:00.000Z';
const lower = { ...DEFAULT_RULES, individual: { ...DEFAULT_RULES.individual, minCareLevel: 3 } };
const published = (version: number, effectiveFrom: string): RuleSetPublished => ({
  type: 'RuleSetPublished',
  data: { tenantId: 'bochum', version, effectiveFrom, rules: lower, publishedBy: 'admin-1', publishedAt: now },
});

describe('a tenant’s rule sets', () => {
  it('publishes the next version with its effective date', () => {
    spec
      .given([published(1, '2026-11-25')])
      .when({
        type: 'PublishRuleSet',
        tenantId: 'bochum',
        effectiveFrom: '2027-01-01',
        rules: lower,
        publishedBy: 'admin-1',
        now,
      })
      .then([published(2, '2027-01-01')]);
  });

  it('refuses an effective date in the past', () => {
    spec
      .given([])
      .when({
        type: 'PublishRuleSet',
        tenantId: 'bochum',
        effectiveFrom: '2026-01-01',
        rules: lower,
        publishedBy: 'admin-1',
        now,
      })
      .thenThrows(EffectiveDateInThePast);
  });

  it('refuses an effective date more than two years ahead, and takes one exactly two years ahead', () => {
    const publish = (effectiveFrom: string) => ({
      type: 'PublishRuleSet' as const,
      tenantId: 'bochum',
      effectiveFrom,
      rules: lower,
      publishedBy: 'admin-1',
      now,
    });
    spec.given([]).when(publish('9999-12-31')).thenThrows(EffectiveDateTooFarAhead);
    spec.given([]).when(publish('2028-11-26')).thenThrows(EffectiveDateTooFarAhead);
    spec
      .given([])
      .when(publish('2028-11-25'))
      .then([published(1, '2028-11-25')]);
    // From a 29 February, two years ahead is the 1 March (that year has no 29 February).
    expect(latestEffectiveDate('2028-02-29')).toBe('2030-03-01');
  });

  it('keeps the version in force until a new one’s date comes; the seed policy before any', () => {
    const state = spec
      .given([published(1, '2027-01-01')])
      .when({
        type: 'PublishRuleSet',
        tenantId: 'bochum',
        effectiveFrom: '2027-06-01',
        rules: lower,
        publishedBy: 'admin-1',
        now,
      })
      .decide().state;
    expect(ruleSetInForce(state, '2026-11-25')).toMatchObject({ version: 0, rules: DEFAULT_RULES });
    expect(ruleSetInForce(state, '2027-01-01').version).toBe(1);
    expect(ruleSetInForce(state, '2027-06-02').version).toBe(2);
  });
});
