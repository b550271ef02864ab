/**
 * Intake's API as a specification (testing/api-specification.ts): given the streams, when a request, then the
 * answer and the events. Every write endpoint is checked for idempotency — the same request with the same
 * Idempotency-Key appends nothing twice, also once the HTTP record of the key is gone — and the last test fails
 * when a write endpoint exists that no check covered.
 */
import { uuidv7 } from '@buergerkoffer/shared/event-sourcing';
import { type ApiSpecification, apiSpecification, buildTestApp, type TestApp } from '@buergerkoffer/shared/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { address, applicant, institutionBody, openCaseBody } from '../test/requests.fixture.ts';
import { definition } from './service.ts';

/** A preferred date `days` after today (UTC): group requests refuse dates in the past. */
const daysAhead = (days: number): string => new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);

describe("intake's API", () => {
  let fixture: TestApp;
  let spec: ApiSpecification;
  beforeAll(async () => {
    fixture = await buildTestApp(definition);
    spec = apiSpecification(fixture);
  }, 60_000);
  afterAll(async () => fixture.close());

  /** A new case of the caller's tenant, at revision 0. */
  const newCase = async () =>
    (await spec.send({ method: 'POST', url: '/cases', payload: openCaseBody })).answer.body.caseId as string;

  it('opens a case: a reference, then the case, sealed (given nothing)', async () => {
    const { events } = await spec
      .given()
      .when({ method: 'POST', url: '/cases', payload: openCaseBody })
      .expect({
        status: 201,
        body: { status: 'open', reference: expect.stringMatching(/^MB-\d{4}-\d{5}$/) },
        events: [{ type: 'CaseReferenceAssigned' }, { type: 'CaseOpened', data: { requestedServices: ['id-card'] } }],
      });
    expect(JSON.stringify(events)).not.toContain('Mustermann');
  });

  it("answers another tenant's institution as absent (given its stream)", async () => {
    const institutionId = uuidv7();
    await spec
      .given({
        [`institution-${institutionId}`]: [
          {
            type: 'InstitutionRegistered',
            data: {
              institutionId,
              name: 'Elsewhere',
              kind: 'care-home',
              address,
              contact: { name: 'Frau Anders' },
              registeredAt: new Date().toISOString(),
            },
            metadata: { tenantId: 'herne' },
          },
        ],
      })
      .when({ method: 'GET', url: `/institutions/${institutionId}` })
      .expect({ status: 404, events: [] });
  });

  describe('every write endpoint is idempotent', () => {
    it('POST /cases', async () => {
      await spec.isIdempotent({ method: 'POST', url: '/cases', payload: openCaseBody });
    });

    it('POST /cases/{id}/services', async () => {
      const caseId = await newCase();
      const answer = await spec.isIdempotent({
        method: 'POST',
        url: `/cases/${caseId}/services`,
        headers: { 'if-match': 'W/"0"' },
        payload: { add: ['passport'] },
      });
      expect(answer.body.requestedServices).toEqual(['id-card', 'passport']);
      // What the case accepts now, from the decider's transition table: a UI offers only these.
      expect(answer.body.allowedActions).toEqual([
        'ChangeServices',
        'AttachEvidence',
        'UpdateContactPerson',
        'WithdrawCase',
      ]);
    });

    it('POST /cases/{id}/evidence', async () => {
      const caseId = await newCase();
      await spec.isIdempotent({
        method: 'POST',
        url: `/cases/${caseId}/evidence`,
        headers: { 'if-match': 'W/"0"' },
        payload: { kind: 'care-level-notice', documentReference: 'dms://42', checksum: `sha256:${'a'.repeat(64)}` },
      });
    });

    it('PUT /cases/{id}/contact-person', async () => {
      const caseId = await newCase();
      await spec.isIdempotent({
        method: 'PUT',
        url: `/cases/${caseId}/contact-person`,
        headers: { 'if-match': 'W/"0"' },
        payload: { contactPerson: { name: 'Max Mustermann', relation: 'relative', phone: '+49 234 111' } },
      });
    });

    it('POST /cases/{id}/withdrawal', async () => {
      const caseId = await newCase();
      const answer = await spec.isIdempotent({
        method: 'POST',
        url: `/cases/${caseId}/withdrawal`,
        headers: { 'if-match': 'W/"0"' },
        payload: { reason: 'moved away' },
      });
      expect(answer.body).toMatchObject({ status: 'withdrawn', allowedActions: [] });
    });

    it('POST /institutions', async () => {
      await spec.isIdempotent({ method: 'POST', url: '/institutions', payload: institutionBody });
    });

    it('POST /institutions/{id}/group-requests', async () => {
      const registered = await spec.send({ method: 'POST', url: '/institutions', payload: institutionBody });
      const { institutionId } = registered.answer.body;
      await spec.isIdempotent({
        method: 'POST',
        url: `/institutions/${institutionId}/group-requests`,
        payload: { residents: [{ applicant, requestedServices: ['id-card'] }], preferredDates: [daysAhead(8)] },
      });
    });

    it('… and no write endpoint was left out', () => {
      expect(spec.uncheckedWriteRoutes()).toEqual([]);
    });
  });
});
