/**
 * The automatic pre-check: a case against the rule set in force, rule by rule. Pure. It never decides — the officer
 * does (necessity check) — it says what the claims suggest and which rules they pass.
 */
import type { RuleSetVersion } from './rule-set.decider.ts';

export type PrecheckOutcome = 'likely-eligible' | 'not-eligible' | 'needs-evidence';

export interface RuleResult {
  readonly rule: string;
  readonly passed: boolean;
  readonly detail: string;
}

export interface Precheck {
  readonly outcome: PrecheckOutcome;
  readonly ruleSetVersion: number;
  readonly rules: readonly RuleResult[];
}

export interface PrecheckInput {
  readonly requestedServices: readonly string[];
  /** An individual's claims; undefined when they cannot be read (erased). */
  readonly mobility?:
    | {
        readonly careLevel: number | null;
        readonly disabilityMarks: readonly string[];
        readonly permanentlyHomebound: boolean;
      }
    | undefined;
  /** A group-request resident: the kind of their institution (undefined: unknown institution). */
  readonly institution?: { readonly kind: string | undefined } | undefined;
}

export function precheck(input: PrecheckInput, ruleSet: RuleSetVersion): Precheck {
  const { rules } = ruleSet;
  const results: RuleResult[] = [];
  const notOffered = input.requestedServices.filter(
    (id) => !rules.services.includes(id as (typeof rules.services)[number]),
  );
  results.push({
    rule: 'services-offered',
    passed: notOffered.length === 0,
    detail:
      notOffered.length === 0 ? 'every requested service is offered' : `not offered here: ${notOffered.join(', ')}`,
  });

  if (input.institution) {
    const kind = input.institution.kind;
    const passed = kind !== undefined && rules.institutionKinds.some((k) => k === kind);
    results.push({
      rule: 'institution-kind',
      passed,
      detail: passed
        ? `residents of a ${kind} qualify through the institution`
        : `institution kind ${kind ?? 'unknown'} is not one of ${rules.institutionKinds.join(', ')}`,
    });
    return {
      outcome: results.every((r) => r.passed) ? 'likely-eligible' : 'not-eligible',
      ruleSetVersion: ruleSet.version,
      rules: results,
    };
  }

  const mobility = input.mobility;
  if (!mobility) {
    results.push({ rule: 'mobility-claims', passed: false, detail: 'no readable mobility claims' });
    return { outcome: 'needs-evidence', ruleSetVersion: ruleSet.version, rules: results };
  }
  const individual = rules.individual;
  const homebound = mobility.permanentlyHomebound || !individual.requirePermanentlyHomebound;
  results.push({
    rule: 'permanently-homebound',
    passed: homebound,
    detail: mobility.permanentlyHomebound
      ? 'stated as permanently homebound'
      : individual.allowTemporaryImmobilityWithUrgentMatter
        ? 'not permanently homebound: qualifies only with an urgent matter the officer confirms'
        : 'not permanently homebound',
  });
  const careLevelPassed =
    individual.minCareLevel !== null && mobility.careLevel !== null && mobility.careLevel >= individual.minCareLevel;
  results.push({
    rule: 'min-care-level',
    passed: careLevelPassed,
    detail:
      individual.minCareLevel === null
        ? 'care level alone does not qualify here'
        : `care level ${mobility.careLevel ?? 'none'}, at least ${individual.minCareLevel} qualifies`,
  });
  const marks = mobility.disabilityMarks.filter((m) => individual.qualifyingMarks.includes(m));
  results.push({
    rule: 'qualifying-mark',
    passed: marks.length > 0,
    detail:
      marks.length > 0 ? `mark ${marks.join(', ')}` : `none of ${individual.qualifyingMarks.join(', ') || '(none)'}`,
  });

  const offered = results[0]?.passed ?? false;
  const qualifies = careLevelPassed || marks.length > 0;
  const temporary = !homebound && individual.allowTemporaryImmobilityWithUrgentMatter;
  let outcome: PrecheckOutcome;
  if (!offered || (!homebound && !temporary)) outcome = 'not-eligible';
  else if (qualifies && homebound) outcome = 'likely-eligible';
  else if (qualifies && temporary) outcome = 'needs-evidence';
  else if (mobility.careLevel === null && mobility.disabilityMarks.length === 0) outcome = 'needs-evidence';
  else outcome = 'not-eligible';
  return { outcome, ruleSetVersion: ruleSet.version, rules: results };
}
