import { describe, expect, it } from 'vitest';
import { precheck } from './precheck.ts';
import { DEFAULT_VERSION, type RuleSetVersion } from './rule-set.decider.ts';

const homebound = (careLevel: number | null, marks: string[] = []) => ({
  careLevel,
  disabilityMarks: marks,
  permanentlyHomebound: true,
});
const outcome = (input: Parameters<typeof precheck>[0], rules: RuleSetVersion = DEFAULT_VERSION) =>
  precheck(input, rules);

describe('the pre-check under the seed policy (homebound and care level ≥ 4 or aG)', () => {
  it('finds a homebound applicant with care level 4 likely eligible, rule by rule, naming the version', () => {
    const result = outcome({ requestedServices: ['id-card'], mobility: homebound(4) });
    expect(result.outcome).toBe('likely-eligible');
    expect(result.ruleSetVersion).toBe(0);
    expect(result.rules.map((r) => [r.rule, r.passed])).toEqual([
      ['services-offered', true],
      ['permanently-homebound', true],
      ['min-care-level', true],
      ['qualifying-mark', false],
    ]);
  });

  it('finds care level 3 without aG not eligible, naming the failed rules', () => {
    const result = outcome({ requestedServices: ['id-card'], mobility: homebound(3) });
    expect(result.outcome).toBe('not-eligible');
    expect(result.rules.find((r) => r.rule === 'min-care-level')).toMatchObject({
      passed: false,
      detail: expect.stringMatching(/care level 3/),
    });
  });

  it('lets the mark aG qualify on its own', () => {
    expect(outcome({ requestedServices: ['passport'], mobility: homebound(2, ['aG']) }).outcome).toBe(
      'likely-eligible',
    );
  });

  it('finds someone who is not permanently homebound not eligible', () => {
    const result = outcome({
      requestedServices: ['id-card'],
      mobility: { ...homebound(5), permanentlyHomebound: false },
    });
    expect(result.outcome).toBe('not-eligible');
  });

  it('asks for evidence when no care level or mark is stated, or the claims cannot be read', () => {
    expect(outcome({ requestedServices: ['id-card'], mobility: homebound(null) }).outcome).toBe('needs-evidence');
    expect(outcome({ requestedServices: ['id-card'] }).outcome).toBe('needs-evidence');
  });

  it('qualifies care-home and assisted-living residents through the institution, not a hospital', () => {
    expect(outcome({ requestedServices: ['id-card'], institution: { kind: 'care-home' } }).outcome).toBe(
      'likely-eligible',
    );
    const hospital = outcome({ requestedServices: ['id-card'], institution: { kind: 'hospital' } });
    expect(hospital.outcome).toBe('not-eligible');
    expect(hospital.rules.find((r) => r.rule === 'institution-kind')?.passed).toBe(false);
  });
});

describe('another city’s rules, as data', () => {
  const elsewhere: RuleSetVersion = {
    version: 2,
    effectiveFrom: '2026-01-01',
    rules: {
      individual: {
        minCareLevel: 3,
        qualifyingMarks: ['aG', 'Bl'],
        requirePermanentlyHomebound: true,
        allowTemporaryImmobilityWithUrgentMatter: true,
      },
      institutionKinds: ['care-home', 'prison'],
      services: ['id-card', 'passport', 'registration'],
    },
  };

  it('accepts care level 3, and a prison as institution', () => {
    expect(outcome({ requestedServices: ['id-card'], mobility: homebound(3) }, elsewhere)).toMatchObject({
      outcome: 'likely-eligible',
      ruleSetVersion: 2,
    });
    expect(outcome({ requestedServices: ['id-card'], institution: { kind: 'prison' } }, elsewhere).outcome).toBe(
      'likely-eligible',
    );
  });

  it('sends temporary immobility to evidence (the urgent matter is the officer’s call)', () => {
    const temporary = { ...homebound(4), permanentlyHomebound: false };
    expect(outcome({ requestedServices: ['id-card'], mobility: temporary }, elsewhere).outcome).toBe('needs-evidence');
  });

  it('refuses a service the city does not offer on site', () => {
    const result = outcome({ requestedServices: ['id-card', 'life-certificate'], mobility: homebound(5) }, elsewhere);
    expect(result.outcome).toBe('not-eligible');
    expect(result.rules[0]).toMatchObject({
      rule: 'services-offered',
      passed: false,
      detail: expect.stringMatching(/life-certificate/),
    });
  });
});
