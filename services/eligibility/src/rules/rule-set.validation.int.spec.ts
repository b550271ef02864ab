/**
 * Eligibility refuses what cannot be true (issue 13): a rule set naming a mark off the closed list (an unknown "XX"
 * silently disabled its rule), repeating an entry, or taking effect before today or more than two years ahead, and
 * officers' free text with control characters — each a 400 problem+json naming the field, with nothing stored. The
 * service's clock is set (deps.now): effective dates are judged by it.
 */
import { uuidv7 } from '@buergerkoffer/shared/event-sourcing';
import {
  type ApiRequest,
  type ApiSpecification,
  apiSpecification,
  buildTestApp,
  type TestApp,
} from '@buergerkoffer/shared/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { definition } from '../service.ts';

const TODAY = '2026-06-15';
const rules = {
  individual: {
    minCareLevel: 4,
    qualifyingMarks: ['aG'],
    requirePermanentlyHomebound: true,
    allowTemporaryImmobilityWithUrgentMatter: false,
  },
  institutionKinds: ['care-home', 'assisted-living'],
  services: ['id-card', 'passport'],
};

describe('eligibility refuses input that cannot be true', () => {
  let fixture: TestApp;
  let spec: ApiSpecification;
  const clock = new Date(`${TODAY}T10:00:00.000Z`);
  beforeAll(async () => {
    fixture = await buildTestApp(definition, { deps: (deps) => ({ ...deps, now: () => clock }) });
    spec = apiSpecification(fixture);
  }, 60_000);
  afterAll(async () => fixture.close());

  /** 400, problem+json, naming `field` among its errors, and not one event appended. */
  const refuses = async (request: ApiRequest, field: string) => {
    const { answer } = await spec
      .given()
      .when(request)
      .expect({ status: 400, body: { status: 400, code: 'validation' }, events: [] });
    expect(answer.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(answer.body.errors.map((error: { field: string }) => error.field)).toContain(field);
  };
  /**
   * U+0000 and lone surrogates: refused before any schema by the strict JSON body (shared/http/json-body.ts, as
   * malformed-body, naming no field) where that is in place, else by the schema (naming it): a 400 either way.
   */
  const refusesUnstorableText = async (request: ApiRequest, field: string) => {
    const { answer } = await spec.given().when(request).expect({ status: 400, events: [] });
    expect(answer.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(['validation', 'malformed-body']).toContain(answer.body.code);
    if (answer.body.code === 'validation') {
      expect(answer.body.errors.map((error: { field: string }) => error.field)).toContain(field);
    }
  };
  const publish = (payload: object): ApiRequest => ({
    method: 'POST',
    url: '/rule-sets',
    role: 'admin',
    payload: { effectiveFrom: '2026-07-01', ...rules, ...payload },
  });
  const versions = async () =>
    (await spec.send({ method: 'GET', url: '/rule-sets', role: 'eligibility-officer' })).answer.body.versions;

  it('still describes its request bodies in the OpenAPI document', async () => {
    const docs = await fixture.app.inject({ method: 'GET', url: '/docs/json' });
    expect(docs.statusCode).toBe(200);
    expect(Object.keys(docs.json().paths)).toEqual(
      expect.arrayContaining(['/rule-sets', '/assessments/{caseId}/decision']),
    );
  });

  describe('POST /rule-sets', () => {
    it.each([
      ['off the closed list', ['XX'], 'body.individual.qualifyingMarks.0'],
      ['off the closed list (case matters)', ['aG', 'ag'], 'body.individual.qualifyingMarks.1'],
      ['named twice', ['aG', 'aG'], 'body.individual.qualifyingMarks.1'],
    ])('refuses a qualifying mark %s, and publishes nothing', async (_, qualifyingMarks, field) => {
      await refuses(publish({ individual: { ...rules.individual, qualifyingMarks } }), field);
      expect(await versions()).toEqual([]);
    });

    it('refuses an institution kind or a service listed twice, and publishes nothing', async () => {
      await refuses(publish({ institutionKinds: ['care-home', 'care-home'] }), 'body.institutionKinds.1');
      await refuses(publish({ services: ['id-card', 'passport', 'id-card'] }), 'body.services.2');
      expect(await versions()).toEqual([]);
    });

    it.each([
      ['at the end of time', '9999-12-31'],
      ['two years and a day ahead', '2028-06-16'],
      ['before the service’s day', '2026-06-14'],
      ['that does not exist', '2027-02-29'],
    ])('refuses an effective date %s, and publishes nothing', async (_, effectiveFrom) => {
      await refuses(publish({ effectiveFrom }), 'body.effectiveFrom');
      expect(await versions()).toEqual([]);
    });

    it('publishes a rule set effective today or up to two years ahead, of marks on the list', async () => {
      for (const effectiveFrom of [TODAY, '2028-06-15']) {
        const { answer } = await spec.send(
          publish({ effectiveFrom, individual: { ...rules.individual, qualifyingMarks: ['aG', 'Bl', 'H'] } }),
        );
        expect(answer.status, JSON.stringify(answer.body)).toBe(201);
      }
      expect(await versions()).toMatchObject([
        { version: 1, effectiveFrom: TODAY, individual: { qualifyingMarks: ['aG', 'Bl', 'H'] } },
        { version: 2, effectiveFrom: '2028-06-15' },
      ]);
    });
  });

  describe('POST /assessments/{caseId}/decision', () => {
    const decide = (payload: object): ApiRequest => ({
      method: 'POST',
      url: `/assessments/${uuidv7()}/decision`,
      role: 'eligibility-officer',
      headers: { 'if-match': 'W/"0"' },
      payload,
    });

    it.each([
      ['reason', 'with a bell', 'Pflegegrad\u00074'],
      ['reason', 'with an escape sequence', 'ok\u001b[2J'],
      ['reason', 'with a C1 control character', 'ok\u0085ok'],
      ['override', 'of zero-width characters only', '\u200b\u200d\ufeff'],
      ['override', 'over 2000 characters', 'x'.repeat(2_001)],
    ])('refuses a %s %s', async (field, _, value) => {
      await refuses(decide({ outcome: 'approve', [field]: value }), `body.${field}`);
    });

    it.each([
      ['with a NUL', 'Pflegegrad\u00004'],
      ['with a lone surrogate', 'ok\udc00'],
    ])('refuses a reason %s', async (_, reason) => {
      await refusesUnstorableText(decide({ outcome: 'reject', reason }), 'body.reason');
    });

    it('lets reasons over several lines, with tabs, through to the decision (a 404 for no assessment, no 400)', async () => {
      const { answer } = await spec.send(
        decide({ outcome: 'reject', reason: 'Kein Pflegegrad,\r\n\tkeine Merkzeichen', override: 'Zoë' }),
      );
      expect(answer.status, JSON.stringify(answer.body)).toBe(404);
    });
  });
});
