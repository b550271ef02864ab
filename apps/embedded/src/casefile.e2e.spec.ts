/**
 * The casefile issue's check, on `pnpm start` as a real process and over real HTTP: a case opened and decided shows
 * in its history with intake's and eligibility's events and actors; time travel before the decision shows it
 * undecided; verify answers ok, and after an event is altered in the stored database (process stopped, PGlite
 * opened directly, process started again) names it; a live feed gets the next event within a second and resumes
 * after a disconnect without loss; the auditor's read is in the access log; intake-agent sees no health data.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LocalKeys, type Role } from '@buergerkoffer/shared/http';
import { openEventStream } from '@buergerkoffer/shared/testing';
import { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const main = fileURLToPath(new URL('./main.ts', import.meta.url));
const PURPOSE = 'purpose=audit&reference=Revision%202026%2F11';

describe('casefile on the embedded system (`pnpm start`)', () => {
  let dataDir: string;
  let child: ChildProcess;
  let url: string;
  let keys: LocalKeys;

  const startSystem = async () => {
    let output = '';
    child = spawn(process.execPath, [main], {
      env: { ...process.env, PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'warn' },
    });
    child.stdout?.on('data', (chunk) => {
      output += String(chunk);
    });
    child.stderr?.on('data', (chunk) => {
      output += String(chunk);
    });
    const deadline = Date.now() + 30_000;
    for (;;) {
      const found = /listening on (http:\/\/\S+)/.exec(output)?.[1];
      if (found) {
        url = found;
        break;
      }
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`pnpm start did not come up:\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    keys = await LocalKeys.loadOrCreate(dataDir);
  };
  const stopSystem = async () => {
    if (child.exitCode !== null) return;
    child.kill('SIGTERM');
    await once(child, 'exit');
  };
  const auth = async (role: Role) => ({
    authorization: `Bearer ${await keys.sign({ subject: `${role}-e2e`, tenantId: 'bochum', roles: [role] })}`,
  });
  const call = async (
    method: string,
    path: string,
    role: Role,
    body?: unknown,
    headers: Record<string, string> = {},
  ) => {
    const response = await fetch(`${url}${path}`, {
      method,
      headers: { ...(await auth(role)), ...(body ? { 'content-type': 'application/json' } : {}), ...headers },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
  };

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'bk-casefile-e2e-'));
    await startSystem();
  });
  afterAll(async () => {
    await stopSystem();
    await rm(dataDir, { recursive: true, force: true });
  });

  let caseId: string;
  let precheckPosition: number;

  it('records a case opened and decided as intake and eligibility events, in order, with actors', async () => {
    const opened = await call('POST', '/intake/cases', 'intake-agent', {
      applicant: {
        givenNames: 'Erika',
        familyName: 'Mustermann',
        birthDate: '1938-05-01',
        address: { street: 'Hauptstraße', houseNumber: '5', postalCode: '44787', city: 'Bochum' },
      },
      requestedServices: ['id-card'],
      mobility: { careLevel: 5, disabilityMarks: ['aG'], permanentlyHomebound: true },
      channel: 'phone-115',
    });
    expect(opened.status).toBe(201);
    caseId = opened.body.caseId;
    let assessment = await call('GET', `/eligibility/assessments/${caseId}`, 'eligibility-officer');
    for (const deadline = Date.now() + 30_000; assessment.status !== 200 && Date.now() < deadline; ) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      assessment = await call('GET', `/eligibility/assessments/${caseId}`, 'eligibility-officer');
    }
    expect(assessment.status).toBe(200);

    // A staff UI follows the case live from here.
    const feed = openEventStream(`${url}/casefile/cases/${caseId}/events`, await auth('scheduler'));
    await feed.ready;
    await feed.until(() => feed.comments > 0);
    const decided = await call(
      'POST',
      `/eligibility/assessments/${caseId}/decision`,
      'eligibility-officer',
      { outcome: 'approve', reason: 'Pflegegrad 5 belegt' },
      { 'if-match': String(assessment.headers.get('etag')) },
    );
    expect(decided.status).toBe(200);
    // Pushed on the open stream (how fast is `pnpm bench:casefile`'s append → SSE latency, not a timed test).
    await feed.until(() => feed.events.some((e) => JSON.parse(e.data).type === 'NecessityConfirmed'), 30_000);
    feed.close();

    const history = await call('GET', `/casefile/cases/${caseId}/history?${PURPOSE}`, 'auditor');
    expect(history.status).toBe(200);
    const events = history.body.events as Array<{ service: string; type: string; position: number; actor: unknown }>;
    const domain = events.filter((e) => e.type !== 'CaseRecordAccessed');
    expect(domain.map((e) => `${e.service}:${e.type}`)).toEqual([
      'intake:CaseReferenceAssigned',
      'intake:CaseOpened',
      'eligibility:AssessmentPrechecked',
      'eligibility:NecessityConfirmed',
    ]);
    expect(domain[1]?.actor).toEqual({ id: 'intake-agent-e2e', role: 'intake-agent' });
    expect(domain[3]?.actor).toEqual({ id: 'eligibility-officer-e2e', role: 'eligibility-officer' });
    expect(events.map((e) => e.position)).toEqual([...events.map((e) => e.position)].sort((a, b) => a - b));
    // The auditor's read is in the access log the history shows.
    expect(events.at(-1)).toMatchObject({
      type: 'CaseRecordAccessed',
      actor: { id: 'auditor-e2e', role: 'auditor' },
      data: { purpose: 'audit', reference: 'Revision 2026/11', resource: 'history' },
    });
    precheckPosition = domain[2]?.position ?? 0;
  });

  it('shows the case undecided as it stood before the decision', async () => {
    const before = await call('GET', `/casefile/cases/${caseId}/state?at=${precheckPosition}&${PURPOSE}`, 'auditor');
    expect(before.body).toMatchObject({ status: 'awaiting-decision', decisions: [] });
    const now = await call('GET', `/casefile/cases/${caseId}/state?${PURPOSE}`, 'auditor');
    expect(now.body).toMatchObject({ status: 'approved', eligibility: { ruleSetVersion: 0 } });
  });

  it('gives intake-agent no health data and no address', async () => {
    const { body } = await call('GET', `/casefile/cases/${caseId}/history`, 'intake-agent');
    const [, opened, prechecked] = body.events;
    expect(opened.data.applicant.familyName).toBe('Mustermann');
    expect(opened.data.mobility).toBe('[withheld]');
    expect(opened.data.applicant.address).toBe('[withheld]');
    expect(prechecked.data.input.mobility).toBe('[withheld]');
  });

  it('resumes a live feed after a disconnect without loss, matching the history', async () => {
    const first = openEventStream(`${url}/casefile/cases/${caseId}/events`, {
      ...(await auth('scheduler')),
      'last-event-id': '0',
    });
    await first.until(() => first.events.length >= 3);
    first.close();
    await first.done;
    // More happens while the client is away: reads are recorded in the case's access log.
    await call('GET', `/casefile/cases/${caseId}/state?${PURPOSE}`, 'auditor');
    await call('GET', `/casefile/cases/${caseId}/history?purpose=data-protection-review`, 'admin');
    const history = await call('GET', `/casefile/cases/${caseId}/history?${PURPOSE}&limit=1000`, 'auditor');
    const positions = (history.body.events as Array<{ position: number }>).map((e) => e.position);
    const second = openEventStream(`${url}/casefile/cases/${caseId}/events`, {
      ...(await auth('scheduler')),
      'last-event-id': String(first.events.at(-1)?.id),
    });
    await second.until(() => first.events.length + second.events.length >= positions.length);
    second.close();
    expect([...first.events, ...second.events].map((e) => Number(e.id)).slice(0, positions.length)).toEqual(positions);
  });

  it('verifies the history, and names an event altered in the stored database', async () => {
    const ok = await call('GET', `/casefile/cases/${caseId}/history/verify`, 'auditor');
    // The tenant's reference counter, the case, its assessment, its access log.
    expect(ok.body).toMatchObject({ ok: true, streams: 4 });
    await stopSystem();
    const db = await PGlite.create(join(dataDir, 'eventstore'));
    const altered = await db.query<{ position: number }>(
      `update es_events set data = jsonb_set(data, '{reason}', '"anders"')
        where stream = $1 and type = 'NecessityConfirmed' returning position`,
      [`eligibility-${caseId}`],
    );
    await db.close();
    await startSystem();
    const broken = await call('GET', `/casefile/cases/${caseId}/history/verify`, 'auditor');
    expect(broken.body).toMatchObject({
      ok: false,
      reason: 'content-altered',
      brokenAt: { stream: `eligibility-${caseId}`, position: Number(altered.rows[0]?.position) },
    });
  });
});
