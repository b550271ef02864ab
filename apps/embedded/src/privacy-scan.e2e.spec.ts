/**
 * Issue 13's scan, on `pnpm start` as a real process: an applicant's case goes through intake and eligibility (with
 * free text that describes health, an evidence reference, a contact person, keyed writes); then every table of the
 * stored database — the events, every read model, the embedded bus's topics, the idempotency records, the keys — is
 * searched for the applicant's plaintext and for what was derived from it (the duplicate-lookup HMAC), before and
 * after the subject's erasure. Before: no plaintext anywhere, the HMAC only in intake's read model. After: neither,
 * the key destroyed, the history "[erased]".
 */
import { createHmac } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { duplicateSecretOf } from '@buergerkoffer/intake/service';
import { LocalKeys, type Role } from '@buergerkoffer/shared/http';
import { metricValue, pollUntil, type ServiceProcess, useServiceProcesses } from '@buergerkoffer/shared/testing';
import { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findMasterKey } from './master-key.ts';

const main = fileURLToPath(new URL('./main.ts', import.meta.url));
const start = useServiceProcesses();

/** What the applicant told intake and the officer wrote: none of it may be stored or published in clear. */
const PLAINTEXT = [
  'Quirinalda',
  'Zwetschgenbaum',
  '1937-05-06',
  'Leuchtturmweg',
  '98765432',
  'quirinalda.z@example.org',
  'Hieronymus',
  'Bettlägerig seit Oktober',
  'Bescheid Pflegekasse PG5',
  'nicht mehr benötigt',
  // Health data in clear JSON (the claims, the pre-check's rule names with their results).
  '"careLevel"',
  '"disabilityMarks"',
  'min-care-level',
  'likely-eligible',
];

describe('no personal data in clear, and erasure forgets the subject everywhere', () => {
  let dataDir: string;
  let system: ServiceProcess;
  let keys: LocalKeys;

  const auth = async (role: Role) => ({
    authorization: `Bearer ${await keys.sign({ subject: `${role}-scan`, tenantId: 'bochum', roles: [role] })}`,
  });
  const call = async (
    method: string,
    path: string,
    role: Role,
    body?: unknown,
    headers: Record<string, string> = {},
  ) => {
    const response = await fetch(`${system.url}${path}`, {
      method,
      headers: { ...(await auth(role)), ...(body ? { 'content-type': 'application/json' } : {}), ...headers },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    const text = await response.text();
    const json = (response.headers.get('content-type') ?? '').includes('json');
    return { status: response.status, headers: response.headers, text, body: json ? JSON.parse(text) : undefined };
  };
  const boot = async () => {
    system = await start(main, { DATA_DIR: dataDir });
    keys = await LocalKeys.loadOrCreate(dataDir);
  };
  const halt = async () => {
    system.child.kill('SIGTERM');
    await system.exited;
  };
  /** Waits until every processor of the system (relays, projections, consumers) has caught up with the store. */
  const settled = async () =>
    pollUntil(
      async () => (await call('GET', '/metrics', 'admin')).text,
      (text) =>
        text
          .split('\n')
          .filter((line) => line.startsWith('processor_lag_events{'))
          .every((line) => Number(line.split(' ').at(-1)) === 0) &&
        metricValue(text, 'processor_lag_events', 'processor="intake:case-list"') === 0,
      60_000,
      'every processor caught up',
    );

  /** Every row of every table of the stored database as text (bytea as hex), by table. */
  const scanDatabase = async (): Promise<Map<string, string>> => {
    const db = await PGlite.create(join(dataDir, 'eventstore'));
    try {
      const tables = await db.query<{ schemaname: string; tablename: string }>(
        `select schemaname, tablename from pg_tables where schemaname not in ('pg_catalog', 'information_schema')`,
      );
      const dump = new Map<string, string>();
      for (const { schemaname, tablename } of tables.rows) {
        const rows = await db.query(`select * from "${schemaname}"."${tablename}"`);
        dump.set(
          `${schemaname}.${tablename}`,
          JSON.stringify(rows.rows, (_key, value) =>
            value instanceof Uint8Array ? Buffer.from(value).toString('hex') : value,
          ),
        );
      }
      return dump;
    } finally {
      await db.close();
    }
  };
  const holding = (dump: Map<string, string>, needle: string) =>
    [...dump].filter(([, text]) => text.toLowerCase().includes(needle.toLowerCase())).map(([table]) => table);

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'bk-privacy-scan-'));
    await boot();
  });
  afterAll(async () => {
    if (system.child.exitCode === null) await halt();
    await rm(dataDir, { recursive: true, force: true });
  });

  let caseId: string;
  let subjectId: string;
  let duplicateKey: string;

  it('stores and publishes none of the applicant’s data in clear; the derived HMAC only in intake’s read model', async () => {
    const opened = await call(
      'POST',
      '/intake/cases',
      'intake-agent',
      {
        applicant: {
          givenNames: 'Quirinalda',
          familyName: 'Zwetschgenbaum',
          birthDate: '1937-05-06',
          address: { street: 'Leuchtturmweg', houseNumber: '12', postalCode: '44787', city: 'Bochum' },
          phone: '+49 234 98765432',
          email: 'quirinalda.z@example.org',
        },
        requestedServices: ['id-card'],
        mobility: { careLevel: 5, disabilityMarks: ['aG'], permanentlyHomebound: true },
        channel: 'phone-115',
        contactPerson: { name: 'Hieronymus Zwetschgenbaum', relation: 'relative', phone: '+49 234 11223344' },
      },
      { 'idempotency-key': 'scan-open' },
    );
    expect(opened.status).toBe(201);
    caseId = opened.body.caseId;
    const evidence = await call(
      'POST',
      `/intake/cases/${caseId}/evidence`,
      'intake-agent',
      {
        kind: 'care-level-notice',
        documentReference: 'Bescheid Pflegekasse PG5',
        checksum: `sha256:${'cd'.repeat(32)}`,
      },
      { 'if-match': 'W/"0"', 'idempotency-key': 'scan-evidence' },
    );
    expect(evidence.status).toBe(200);
    const assessment = await pollUntil(
      () => call('GET', `/eligibility/assessments/${caseId}`, 'eligibility-officer'),
      (answer) => answer.status === 200,
      60_000,
      'the pre-check',
    );
    const decided = await call(
      'POST',
      `/eligibility/assessments/${caseId}/decision`,
      'eligibility-officer',
      { outcome: 'approve', reason: 'Bettlägerig seit Oktober' },
      { 'if-match': String(assessment.headers.get('etag')), 'idempotency-key': 'scan-decision' },
    );
    expect(decided.status).toBe(200);
    // The subject as an admin sees it (every read recorded), then what the system derived from them.
    const shown = await call('GET', `/intake/cases/${caseId}?purpose=subject-request`, 'admin');
    subjectId = shown.body.applicant.subjectId;
    expect(shown.body.applicant.familyName).toBe('Zwetschgenbaum');
    const masterKey = await findMasterKey(dataDir);
    if (!masterKey) throw new Error('no master key in the data directory');
    duplicateKey = createHmac('sha256', duplicateSecretOf(masterKey))
      .update(`bochum\u001fzwetschgenbaum\u001fquirinalda\u001f1937-05-06`)
      .digest('hex');
    await settled();
    await halt();

    const dump = await scanDatabase();
    // The scan sees what is there: the case id in the events, the bus, the read models; the HMAC in intake's list.
    expect(holding(dump, caseId)).toEqual(
      expect.arrayContaining(['public.es_events', 'public.bus_messages', 'public.intake_case_list']),
    );
    expect(holding(dump, duplicateKey)).toEqual(['public.intake_case_list']);
    const found = Object.fromEntries(PLAINTEXT.map((needle) => [needle, holding(dump, needle)]));
    expect(found).toEqual(Object.fromEntries(PLAINTEXT.map((needle) => [needle, []])));
    // The topics carry the integration events: the opening (claims sealed), the assessment's — nothing personal.
    expect(dump.get('public.bus_messages')).toContain('eligibility.assessment.approved.v2');
  });

  it('forgets the subject when erased: key destroyed, HMAC gone, history [erased], still nothing in clear', async () => {
    await boot();
    await pollUntil(
      () => call('GET', `/casefile/privacy/subjects/${subjectId}`, 'admin'),
      (answer) => answer.status === 200,
      60_000,
      'casefile knowing the subject',
    );
    const erased = await call(
      'POST',
      `/casefile/privacy/subjects/${subjectId}/erasure`,
      'admin',
      { ground: 'consent-withdrawn', reference: 'DSB 2026/19' },
      { 'idempotency-key': 'scan-erasure' },
    );
    expect(erased.status).toBe(200);
    const history = await call('GET', `/casefile/cases/${caseId}/history?purpose=audit&limit=1000`, 'auditor');
    const opening = history.body.events.find((e: { type: string }) => e.type === 'CaseOpened');
    expect(opening.data.applicant).toMatchObject({ familyName: '[erased]', birthDate: '[erased]' });
    expect(history.text).not.toContain('Zwetschgenbaum');
    // The withdrawal's reason would be about an erased subject: refused, nothing recorded.
    const withdrawn = await call(
      'POST',
      `/intake/cases/${caseId}/withdrawal`,
      'intake-agent',
      { reason: 'nicht mehr benötigt' },
      { 'if-match': 'W/"1"' },
    );
    expect(withdrawn.status).toBe(409);
    await settled();
    await halt();

    const dump = await scanDatabase();
    expect(holding(dump, caseId)).toEqual(expect.arrayContaining(['public.es_events', 'public.intake_case_list']));
    expect(holding(dump, duplicateKey)).toEqual([]);
    const found = Object.fromEntries(PLAINTEXT.map((needle) => [needle, holding(dump, needle)]));
    expect(found).toEqual(Object.fromEntries(PLAINTEXT.map((needle) => [needle, []])));
    const db = await PGlite.create(join(dataDir, 'eventstore'));
    const key = await db.query<{ wrapped_key: unknown; erased_at: unknown }>(
      'select wrapped_key, erased_at from pd_subject_keys where tenant_id = $1 and subject_id = $2',
      ['bochum', subjectId],
    );
    await db.close();
    expect(key.rows).toEqual([{ wrapped_key: null, erased_at: expect.anything() }]);
  });
});
