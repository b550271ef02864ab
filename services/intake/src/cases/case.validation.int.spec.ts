/**
 * Intake refuses what cannot be true (issue 13): each bad value through the real HTTP app answers a 400
 * problem+json naming the field, and stores nothing (no event appended anywhere); valid values of the kinds the
 * checks are about still pass. The service's clock is set (deps.now): birth and preferred dates are judged by it.
 */
import { DISABILITY_MARKS } from '@buergerkoffer/shared/contracts';
import {
  type ApiRequest,
  type ApiSpecification,
  apiSpecification,
  buildTestApp,
  type TestApp,
} from '@buergerkoffer/shared/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applicant, institutionBody, openCaseBody } from '../../test/requests.fixture.ts';
import { definition } from '../service.ts';
import { mobility } from './case.events.ts';

const TODAY = '2026-06-15';

describe('intake refuses input that cannot be true', () => {
  let fixture: TestApp;
  let spec: ApiSpecification;
  let clock = new Date(`${TODAY}T10:00:00.000Z`);
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
    return answer;
  };
  /**
   * U+0000 and lone surrogates: refused before any schema by the strict JSON body (shared/http/json-body.ts, as
   * malformed-body, naming no field) where that is in place, else by the schemas (naming it): a 400 either way.
   */
  const refusesUnstorableText = async (request: ApiRequest, field: string) => {
    const { answer } = await spec.given().when(request).expect({ status: 400, events: [] });
    expect(answer.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(['validation', 'malformed-body']).toContain(answer.body.code);
    if (answer.body.code === 'validation') {
      expect(answer.body.errors.map((error: { field: string }) => error.field)).toContain(field);
    }
  };
  const openCase = (body: object): ApiRequest => ({ method: 'POST', url: '/cases', payload: body });
  const withApplicant = (change: object) => openCase({ ...openCaseBody, applicant: { ...applicant, ...change } });
  const newCase = async () => {
    const { answer } = await spec.send(openCase(openCaseBody));
    expect(answer.status).toBe(201);
    return answer.body.caseId as string;
  };

  it('keeps intake’s marks the closed list that eligibility’s rule sets are checked against', () => {
    expect(mobility.shape.disabilityMarks.element.options).toEqual([...DISABILITY_MARKS]);
  });

  it('still describes its request bodies in the OpenAPI document', async () => {
    const docs = await fixture.app.inject({ method: 'GET', url: '/docs/json' });
    expect(docs.statusCode).toBe(200);
    expect(Object.keys(docs.json().paths)).toEqual(
      expect.arrayContaining(['/cases', '/institutions/{institutionId}/group-requests']),
    );
  });

  describe('POST /cases', () => {
    it.each([
      ['in the future', '2099-01-01'],
      ['the day after tomorrow (by the service’s clock)', '2026-06-17'],
      ['before 1900', '0001-01-01'],
      ['that does not exist', '2026-02-30'],
    ])('refuses a birth date %s', async (_, birthDate) => {
      await refuses(withApplicant({ birthDate }), 'body.applicant.birthDate');
    });

    it.each([
      ['a control character inside', 'givenNames', 'Er\u0007ika'],
      ['a line break inside', 'familyName', 'Muster\nmann'],
      ['only zero-width characters', 'familyName', '\u200b\u200c\u200d\u2060\ufeff'],
      ['only whitespace', 'givenNames', ' \u00a0 '],
      ['no letter', 'familyName', '1234'],
    ])('refuses a name of %s', async (_, field, value) => {
      await refuses(withApplicant({ [field]: value }), `body.applicant.${field}`);
    });

    it.each([
      ['NUL', 'givenNames', '\u0000'],
      ['a lone surrogate', 'familyName', 'Muster\ud800mann'],
    ])('refuses a name of %s', async (_, field, value) => {
      await refusesUnstorableText(withApplicant({ [field]: value }), `body.applicant.${field}`);
    });

    it.each([
      ['letters', 'abc'],
      ['fewer than 5 digits', '1234'],
      ['more than 30 characters', `+49 ${'1'.repeat(30)}`],
    ])('refuses a phone number of %s', async (_, phone) => {
      await refuses(withApplicant({ phone }), 'body.applicant.phone');
    });

    it('refuses an address line with a control character, and a city without a letter', async () => {
      await refuses(
        withApplicant({ address: { ...applicant.address, street: 'Haupt\u0007straße' } }),
        'body.applicant.address.street',
      );
      await refuses(withApplicant({ address: { ...applicant.address, city: '44787' } }), 'body.applicant.address.city');
    });

    it('refuses a disability mark given twice, and one off the closed list', async () => {
      const marks = (disabilityMarks: string[]) =>
        openCase({ ...openCaseBody, mobility: { ...openCaseBody.mobility, disabilityMarks } });
      await refuses(marks(['aG', 'aG']), 'body.mobility.disabilityMarks.1');
      await refuses(marks(['aG', 'XX']), 'body.mobility.disabilityMarks.1');
    });

    it('refuses a contact person whose name is invisible or whose phone is no number', async () => {
      const contact = (contactPerson: object) => openCase({ ...openCaseBody, contactPerson });
      await refuses(contact({ name: '\u200b', relation: 'relative' }), 'body.contactPerson.name');
      await refuses(contact({ name: 'Max', relation: 'relative', phone: 'call me' }), 'body.contactPerson.phone');
    });

    it('opens a case for names of any writing, a birth date of today and a phone number as people write it', async () => {
      for (const [givenNames, familyName] of [
        ['Zoë', 'Müller-Lüdenscheidt'],
        ['Jean-Luc', "O'Brien"],
        ['Łukasz', 'Żółć'],
      ] as const) {
        const { answer } = await spec.send(
          withApplicant({ givenNames, familyName, birthDate: TODAY, phone: '+49 231 / 123-456' }),
        );
        expect(answer.status, JSON.stringify(answer.body)).toBe(201);
        const { body } = await spec.send({ method: 'GET', url: `/cases/${answer.body.caseId}` }).then((r) => r.answer);
        // What an intake agent sees of the applicant: names and contact data (the birth date is not theirs to see).
        expect(body.applicant).toMatchObject({ givenNames, familyName, phone: '+49 231 / 123-456' });
      }
    });

    it('stores a name trimmed and in NFC, however it was typed', async () => {
      const { answer } = await spec.send(withApplicant({ givenNames: ' Zoe\u0308 ', familyName: 'Mu\u0308ller' }));
      expect(answer.status).toBe(201);
      const view = await spec.send({ method: 'GET', url: `/cases/${answer.body.caseId}` });
      expect(view.answer.body.applicant).toMatchObject({ givenNames: 'Zoë', familyName: 'Müller' });
    });
  });

  describe('changes of a case', () => {
    const change = (caseId: string, path: string, payload: object, method: 'POST' | 'PUT' = 'POST'): ApiRequest => ({
      method,
      url: `/cases/${caseId}/${path}`,
      headers: { 'if-match': 'W/"0"' },
      payload,
    });

    it('refuses a withdrawal reason with a control character or nothing visible; the case stays open', async () => {
      const caseId = await newCase();
      await refuses(change(caseId, 'withdrawal', { reason: 'moved\u0008away' }), 'body.reason');
      await refuses(change(caseId, 'withdrawal', { reason: ' \n\u200b\t ' }), 'body.reason');
      await refuses(change(caseId, 'withdrawal', { reason: 'x'.repeat(1_001) }), 'body.reason');
      const view = await spec.send({ method: 'GET', url: `/cases/${caseId}` });
      expect(view.answer.body).toMatchObject({ status: 'open' });
      expect(view.answer.headers.etag).toBe('W/"0"');
    });

    it('takes a withdrawal reason over several lines', async () => {
      const caseId = await newCase();
      const { answer } = await spec.send(change(caseId, 'withdrawal', { reason: 'moved away\r\n\tto Herne' }));
      expect(answer.status, JSON.stringify(answer.body)).toBe(200);
      expect(answer.body.status).toBe('withdrawn');
    });

    it('refuses a contact person with a DEL or NUL in the name, and an evidence reference with a control character', async () => {
      const caseId = await newCase();
      await refuses(
        change(caseId, 'contact-person', { contactPerson: { name: 'Max\u007f', relation: 'carer' } }, 'PUT'),
        'body.contactPerson.name',
      );
      await refusesUnstorableText(
        change(caseId, 'contact-person', { contactPerson: { name: 'Max\u0000', relation: 'carer' } }, 'PUT'),
        'body.contactPerson.name',
      );
      await refuses(
        change(caseId, 'evidence', {
          kind: 'care-level-notice',
          documentReference: 'dms://42\u001b[2J',
          checksum: `sha256:${'a'.repeat(64)}`,
        }),
        'body.documentReference',
      );
      const view = await spec.send({ method: 'GET', url: `/cases/${caseId}` });
      expect(view.answer.body).toMatchObject({ evidenceIds: [] });
      expect(view.answer.headers.etag).toBe('W/"0"');
    });
  });

  describe('institutions and group requests', () => {
    const register = async () => {
      const { answer } = await spec.send({ method: 'POST', url: '/institutions', payload: institutionBody });
      expect(answer.status).toBe(201);
      return answer.body.institutionId as string;
    };
    const groupRequest = (institutionId: string, payload: object): ApiRequest => ({
      method: 'POST',
      url: `/institutions/${institutionId}/group-requests`,
      payload: { residents: [{ applicant, requestedServices: ['id-card'] }], ...payload },
    });
    const groupRequestIds = async (institutionId: string) =>
      (await spec.send({ method: 'GET', url: `/institutions/${institutionId}` })).answer.body.groupRequestIds;

    it('refuses an institution whose name is invisible or whose contact’s phone is no number', async () => {
      await refuses(
        { method: 'POST', url: '/institutions', payload: { ...institutionBody, name: '\u200b ' } },
        'body.name',
      );
      await refuses(
        {
          method: 'POST',
          url: '/institutions',
          payload: { ...institutionBody, contact: { name: 'Frau Heim', phone: 'abc' } },
        },
        'body.contact.phone',
      );
    });

    it.each([
      ['before the service’s day', ['2026-06-14'], 'body.preferredDates.0'],
      ['that does not exist', ['2026-07-01', '2026-02-30'], 'body.preferredDates.1'],
      ['given twice', ['2026-07-01', '2026-07-01'], 'body.preferredDates.1'],
    ])('refuses a preferred date %s, and opens no case', async (_, preferredDates, field) => {
      const institutionId = await register();
      await refuses(groupRequest(institutionId, { preferredDates }), field);
      expect(await groupRequestIds(institutionId)).toEqual([]);
    });

    it('refuses a resident born in the future or with a mark twice, and opens no case', async () => {
      const institutionId = await register();
      await refuses(
        groupRequest(institutionId, {
          residents: [
            { applicant, requestedServices: ['id-card'] },
            { applicant: { ...applicant, birthDate: '2099-01-01' }, requestedServices: ['id-card'] },
          ],
        }),
        'body.residents.1.applicant.birthDate',
      );
      await refuses(
        groupRequest(institutionId, {
          residents: [
            {
              applicant,
              requestedServices: ['id-card'],
              mobility: { careLevel: null, disabilityMarks: ['aG', 'aG'], permanentlyHomebound: false },
            },
          ],
        }),
        'body.residents.0.mobility.disabilityMarks.1',
      );
      expect(await groupRequestIds(institutionId)).toEqual([]);
    });

    it('judges preferred dates by the service’s clock: today passes, and is refused once the clock is past it', async () => {
      const institutionId = await register();
      const { answer } = await spec.send(groupRequest(institutionId, { preferredDates: [TODAY, '2026-07-01'] }));
      expect(answer.status, JSON.stringify(answer.body)).toBe(201);
      clock = new Date('2026-06-16T08:00:00.000Z');
      try {
        await refuses(groupRequest(institutionId, { preferredDates: [TODAY] }), 'body.preferredDates.0');
      } finally {
        clock = new Date(`${TODAY}T10:00:00.000Z`);
      }
      expect(await groupRequestIds(institutionId)).toEqual([answer.body.groupRequestId]);
    });
  });
});
