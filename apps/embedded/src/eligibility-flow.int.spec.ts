/**
 * Intake → eligibility in the embedded system, through the embedded bus, as the issue checks it: pre-checks by the
 * rule set in force, the officer's decision, roles, and a future rule set leaving today's pre-checks alone.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalKeys, type Role } from '@buergerkoffer/shared/http';
import { createLogger } from '@buergerkoffer/shared/observability';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildEmbedded } from './app.ts';

describe('intake and eligibility, embedded', () => {
  let dataDir: string;
  let app: Awaited<ReturnType<typeof buildEmbedded>>;
  let keys: LocalKeys;
  const auth = async (role: Role, tenantId = 'bochum') => ({
    authorization: `Bearer ${await keys.sign({ subject: `${role}-1`, tenantId, roles: [role] })}`,
  });
  const address = { street: 'Hauptstraße', houseNumber: '5', postalCode: '44787', city: 'Bochum' };
  const applicant = (familyName: string) => ({ givenNames: 'Erika', familyName, birthDate: '1941-03-12', address });

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'bk-flow-'));
    app = await buildEmbedded({ logger: createLogger({ service: 'test', level: 'silent' }), dataDir });
    await app.ready();
    keys = await LocalKeys.loadOrCreate(dataDir);
  });
  afterAll(async () => {
    await app.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  const openCase = async (careLevel: number | null, marks: string[] = []) => {
    const response = await app.inject({
      method: 'POST',
      url: '/intake/cases',
      headers: await auth('intake-agent'),
      payload: {
        applicant: applicant(`Fall${careLevel}${marks.join('')}`),
        requestedServices: ['id-card'],
        mobility: { careLevel, disabilityMarks: marks, permanentlyHomebound: true },
        channel: 'phone-115',
      },
    });
    expect(response.statusCode).toBe(201);
    return response.json().caseId as string;
  };
  const assessment = async (caseId: string, timeoutMs = 30_000) => {
    const started = Date.now();
    for (;;) {
      const response = await app.inject({
        method: 'GET',
        url: `/eligibility/assessments/${caseId}`,
        headers: await auth('eligibility-officer'),
      });
      if (response.statusCode === 200)
        return { body: response.json(), etag: String(response.headers.etag), elapsed: Date.now() - started };
      if (Date.now() - started > timeoutMs)
        throw new Error(`no assessment for ${caseId} after ${timeoutMs} ms (${response.statusCode})`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  };

  // How fast is measured by the benchmarks and the e2e latency report, not here: a slow machine must not fail this.
  it('pre-checks care level 4 as likely eligible, under the version in force', async () => {
    const { body } = await assessment(await openCase(4));
    expect(body).toMatchObject({
      status: 'awaiting-decision',
      precheck: { outcome: 'likely-eligible', ruleSetVersion: 0 },
      decision: null,
    });
  });

  it('pre-checks care level 3 without aG as not eligible, naming the failed rule', async () => {
    const { body } = await assessment(await openCase(3));
    expect(body.precheck.outcome).toBe('not-eligible');
    expect(body.precheck.rules).toEqual(
      expect.arrayContaining([expect.objectContaining({ rule: 'min-care-level', passed: false })]),
    );
  });

  it('qualifies a care-home resident through the institution', async () => {
    const institution = await app.inject({
      method: 'POST',
      url: '/intake/institutions',
      headers: await auth('intake-agent'),
      payload: { name: 'Haus am Park', kind: 'care-home', address, contact: { name: 'Frau Heim' } },
    });
    const group = await app.inject({
      method: 'POST',
      url: `/intake/institutions/${institution.json().institutionId}/group-requests`,
      headers: await auth('intake-agent'),
      payload: { residents: [{ applicant: applicant('Bewohner'), requestedServices: ['life-certificate'] }] },
    });
    const [caseId] = group.json().caseIds as string[];
    const { body } = await assessment(caseId ?? '');
    expect(body.precheck).toMatchObject({ outcome: 'likely-eligible' });
    expect(body.precheck.rules).toEqual(
      expect.arrayContaining([expect.objectContaining({ rule: 'institution-kind', passed: true })]),
    );
  });

  it('lets an eligibility officer approve once (then 409), and never an intake agent (403)', async () => {
    const caseId = await openCase(5);
    const { etag } = await assessment(caseId);
    const url = `/eligibility/assessments/${caseId}/decision`;
    const asAgent = await app.inject({
      method: 'POST',
      url,
      headers: { ...(await auth('intake-agent')), 'if-match': etag },
      payload: { outcome: 'approve' },
    });
    expect(asAgent.statusCode).toBe(403);
    const approved = await app.inject({
      method: 'POST',
      url,
      headers: { ...(await auth('eligibility-officer')), 'if-match': etag },
      payload: { outcome: 'approve' },
    });
    expect(approved.statusCode).toBe(200);
    expect(approved.json()).toMatchObject({
      status: 'approved',
      decision: { outcome: 'approved', decidedBy: 'eligibility-officer-1' },
    });
    const again = await app.inject({
      method: 'POST',
      url,
      headers: { ...(await auth('eligibility-officer')), 'if-match': String(approved.headers.etag) },
      payload: { outcome: 'approve' },
    });
    expect(again.statusCode).toBe(409);
    expect(again.json()).toMatchObject({ code: 'already-decided' });
    // The officers' queue (a projection) shows it as approved, and no longer as awaiting a decision.
    const queue = async (status: string) =>
      (
        await app.inject({
          method: 'GET',
          url: `/eligibility/assessments?status=${status}`,
          headers: await auth('eligibility-officer'),
        })
      ).json() as { items: { caseId: string }[] };
    let approvedIds: string[] = [];
    for (const deadline = Date.now() + 30_000; Date.now() < deadline && !approvedIds.includes(caseId); ) {
      approvedIds = (await queue('approved')).items.map((item) => item.caseId);
      if (!approvedIds.includes(caseId)) await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(approvedIds).toContain(caseId);
    expect((await queue('awaiting-decision')).items.map((item) => item.caseId)).not.toContain(caseId);
  });

  it('keeps today’s pre-checks under the old rules when a new rule set takes effect in the future', async () => {
    const future = new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10);
    const current = (
      await app.inject({ method: 'GET', url: '/eligibility/rule-sets/current', headers: await auth('admin') })
    ).json();
    const published = await app.inject({
      method: 'POST',
      url: '/eligibility/rule-sets',
      headers: await auth('admin'),
      payload: {
        effectiveFrom: future,
        individual: { ...current.individual, minCareLevel: 3 },
        institutionKinds: current.institutionKinds,
        services: current.services,
      },
    });
    expect(published.statusCode).toBe(201);
    expect(published.json()).toEqual({ version: 1, effectiveFrom: future });
    const { body } = await assessment(await openCase(3));
    expect(body.precheck).toMatchObject({ outcome: 'not-eligible', ruleSetVersion: 0 });
    const history = (
      await app.inject({ method: 'GET', url: '/eligibility/rule-sets', headers: await auth('eligibility-officer') })
    ).json();
    expect(history).toMatchObject({ inForce: 0, versions: [{ version: 1, effectiveFrom: future }] });
    const notAdmin = await app.inject({
      method: 'POST',
      url: '/eligibility/rule-sets',
      headers: await auth('eligibility-officer'),
      payload: {},
    });
    expect(notAdmin.statusCode).toBe(403);
  });

  it('closes the assessment of a withdrawn case; decisions then answer 409', async () => {
    const caseId = await openCase(4);
    await assessment(caseId);
    await app.inject({
      method: 'POST',
      url: `/intake/cases/${caseId}/withdrawal`,
      headers: { ...(await auth('intake-agent')), 'if-match': 'W/"0"' },
      payload: { reason: 'moved away' },
    });
    let status = '';
    for (const deadline = Date.now() + 30_000; Date.now() < deadline && status !== 'closed'; ) {
      status = (await assessment(caseId)).body.status;
      if (status !== 'closed') await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(status).toBe('closed');
    const { etag } = await assessment(caseId);
    const decision = await app.inject({
      method: 'POST',
      url: `/eligibility/assessments/${caseId}/decision`,
      headers: { ...(await auth('eligibility-officer')), 'if-match': etag },
      payload: { outcome: 'approve' },
    });
    expect(decision.statusCode).toBe(409);
    expect(decision.json()).toMatchObject({ code: 'assessment-closed' });
  });
});
