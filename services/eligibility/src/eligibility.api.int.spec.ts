/**
 * Eligibility's API as a specification (testing/api-specification.ts): given the assessment's stream, when the
 * officer decides, then the answer and the decision's event. Every write endpoint is checked for idempotency (the
 * same request and key append nothing twice, also once the HTTP record of the key is gone), and the last test fails
 * when a write endpoint exists that no check covered.
 */
import { uuidv7 } from '@buergerkoffer/shared/event-sourcing';
import { type ApiSpecification, apiSpecification, buildTestApp, type TestApp } from '@buergerkoffer/shared/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { definition } from './service.ts';

/** A case the automatic pre-check found likely eligible, as the consumer stores it. */
const prechecked = (caseId: string) => ({
  [`eligibility-${caseId}`]: [
    {
      type: 'AssessmentPrechecked',
      data: {
        caseId,
        input: { requestedServices: ['id-card'] },
        precheck: { outcome: 'likely-eligible', ruleSetVersion: 0, rules: [] },
        checkedAt: new Date().toISOString(),
      },
      metadata: { tenantId: 'bochum', caseId },
    },
  ],
});

describe("eligibility's API", () => {
  let fixture: TestApp;
  let spec: ApiSpecification;
  beforeAll(async () => {
    fixture = await buildTestApp(definition);
    spec = apiSpecification(fixture);
  }, 60_000);
  afterAll(async () => fixture.close());

  it('records the officer’s necessity decision (given a pre-checked case)', async () => {
    const caseId = uuidv7();
    await spec
      .given(prechecked(caseId))
      .when({
        method: 'POST',
        url: `/assessments/${caseId}/decision`,
        role: 'eligibility-officer',
        headers: { 'if-match': 'W/"0"' },
        payload: { outcome: 'approve', reason: 'Pflegegrad 4 nachgewiesen' },
      })
      .expect({
        status: 200,
        // The decision, and the officer's read of the assessment its answer shows (recorded like any read).
        events: [
          { type: 'NecessityConfirmed', stream: `eligibility-${caseId}`, data: { caseId } },
          { type: 'CaseRecordAccessed', stream: `caseAccess-${caseId}`, data: { resource: 'assessment' } },
        ],
      });
  });

  it("answers another tenant's assessment as absent", async () => {
    const caseId = uuidv7();
    await spec
      .given(prechecked(caseId))
      .when({ method: 'GET', url: `/assessments/${caseId}`, role: 'eligibility-officer', tenantId: 'herne' })
      .expect({ status: 404, events: [] });
  });

  describe('every write endpoint is idempotent', () => {
    it('POST /rule-sets', async () => {
      await spec.isIdempotent({
        method: 'POST',
        url: '/rule-sets',
        role: 'admin',
        payload: {
          // Rules never change history: only a later date (and not further ahead than the bound of two years).
          effectiveFrom: `${new Date().getUTCFullYear() + 1}-01-01`,
          individual: {
            minCareLevel: 4,
            qualifyingMarks: ['aG'],
            requirePermanentlyHomebound: true,
            allowTemporaryImmobilityWithUrgentMatter: false,
          },
          institutionKinds: ['care-home'],
          services: ['id-card', 'passport'],
        },
      });
    });

    it('POST /assessments/{caseId}/decision', async () => {
      const caseId = uuidv7();
      await spec
        .given(prechecked(caseId))
        .when({ method: 'GET', url: `/assessments/${caseId}`, role: 'eligibility-officer' })
        // A read of the assessment (health data) is recorded in the case's access log.
        .expect({
          status: 200,
          body: { status: 'awaiting-decision' },
          events: [
            {
              type: 'CaseRecordAccessed',
              stream: `caseAccess-${caseId}`,
              data: { caseId, resource: 'assessment', purpose: 'case-work' },
            },
          ],
        });
      const answer = await spec.isIdempotent({
        method: 'POST',
        url: `/assessments/${caseId}/decision`,
        role: 'eligibility-officer',
        headers: { 'if-match': 'W/"0"' },
        payload: { outcome: 'reject', reason: 'Kein Pflegegrad, keine Merkzeichen' },
      });
      // A rejection can be reopened once: the officer is still offered a decision.
      expect(answer.body).toMatchObject({
        status: 'rejected',
        allowedActions: expect.arrayContaining(['DecideNecessity']),
      });
    });

    it('… and no write endpoint was left out', () => {
      expect(spec.uncheckedWriteRoutes()).toEqual([]);
    });
  });
});
