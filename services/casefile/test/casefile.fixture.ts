/**
 * The casefile service over a real store (PGlite or the PostgreSQL server), listening on a real port (live feeds
 * need a real HTTP client), and writers that append events shaped as intake and eligibility store them — sealed
 * by the real PersonalDataStore with intake's kinds of personal fields.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PostgresEventStore, type Sql, uuidv7 } from '@buergerkoffer/shared/event-sourcing';
import { createHttpApp, LocalKeys, type Role } from '@buergerkoffer/shared/http';
import { createLogger } from '@buergerkoffer/shared/observability';
import { type PersonalDataPolicy, PersonalDataStore, PostgresKeyStore } from '@buergerkoffer/shared/privacy';
import { buildService, type FeedOptions } from '../src/service.ts';

const policy: PersonalDataPolicy = {
  CaseOpened: [
    {
      subject: 'applicant.subjectId',
      fields: [
        'applicant.givenNames',
        'applicant.familyName',
        'applicant.birthDate',
        'applicant.address',
        'applicant.phone',
        'mobility',
      ],
    },
  ],
  AssessmentPrechecked: [{ subject: 'applicantSubjectId', fields: ['input.mobility'] }],
};

export interface CasefileFixture {
  readonly url: string;
  readonly sql: Sql;
  readonly store: PersonalDataStore;
  readonly keys: PostgresKeyStore;
  readonly auth: (role: Role, tenantId?: string, subject?: string) => Promise<Record<string, string>>;
  readonly get: (
    path: string,
    role: Role,
    tenantId?: string,
    // The parsed JSON, as `inject().json()` gives it: tests assert on it field by field.
  ) => Promise<{ status: number; body: ReturnType<typeof JSON.parse>; text: string; headers: Record<string, unknown> }>;
  readonly close: () => Promise<void>;
}

export async function casefileApp(sql: Sql, feeds: FeedOptions = {}): Promise<CasefileFixture> {
  const dir = await mkdtemp(join(tmpdir(), 'bk-casefile-'));
  const tokens = await LocalKeys.loadOrCreate(dir);
  const sealed = await PostgresEventStore.open(sql, { pollIntervalMs: 200 });
  const keys = await PostgresKeyStore.open(sql, randomBytes(32));
  const app = await createHttpApp({
    logger: createLogger({ service: 'casefile', level: 'silent' }),
    verifier: tokens,
    sql,
    openapi: { title: 'casefile', version: '1' },
  });
  await app.register(buildService({ store: sealed, keyStore: keys, sql, now: () => new Date(), feeds }));
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  const auth = async (role: Role, tenantId = 'bochum', subject = `${role}-1`) => ({
    authorization: `Bearer ${await tokens.sign({ subject, tenantId, roles: [role] })}`,
  });
  return {
    url,
    sql,
    store: new PersonalDataStore(sealed, keys, policy),
    keys,
    auth,
    get: async (path, role, tenantId) => {
      const response = await fetch(`${url}${path}`, { headers: await auth(role, tenantId) });
      const text = await response.text();
      const type = response.headers.get('content-type') ?? '';
      return {
        status: response.status,
        text,
        body: type.includes('json') ? JSON.parse(text) : undefined,
        headers: Object.fromEntries(response.headers),
      };
    },
    close: async () => {
      await app.close();
      await sealed.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A case as intake and eligibility record it: opened, pre-checked, decided. */
export function caseWriter(store: PersonalDataStore, tenantId = 'bochum') {
  const caseId = uuidv7();
  const subjectId = uuidv7();
  const meta = (role: string, correlationId = uuidv7()) => ({
    tenantId,
    caseId,
    actor: { id: `${role}-7`, role },
    correlationId,
  });
  return {
    caseId,
    subjectId,
    open: () =>
      store.append(`intakeCase-${caseId}`, [
        {
          id: uuidv7(),
          type: 'CaseOpened',
          data: {
            caseId,
            reference: 'MB-2026-00042',
            applicant: {
              subjectId,
              givenNames: 'Erika',
              familyName: 'Mustermann',
              birthDate: '1931-04-02',
              address: { street: 'Hauptstraße', houseNumber: '5', postalCode: '44787', city: 'Bochum' },
              phone: '0234 123456',
            },
            requestedServices: ['id-card'],
            mobility: { careLevel: 4, disabilityMarks: [], permanentlyHomebound: true },
            channel: 'phone-115',
            possibleDuplicateOf: [],
            openedAt: new Date().toISOString(),
          },
          metadata: meta('intake-agent'),
        },
      ]),
    precheck: (outcome = 'likely-eligible') =>
      store.append(`eligibility-${caseId}`, [
        {
          id: uuidv7(),
          type: 'AssessmentPrechecked',
          data: {
            caseId,
            applicantSubjectId: subjectId,
            input: {
              requestedServices: ['id-card'],
              mobility: { careLevel: 4, disabilityMarks: [], permanentlyHomebound: true },
            },
            precheck: {
              outcome,
              ruleSetVersion: 3,
              rules: [{ rule: 'min-care-level', passed: true, detail: 'care level 4 ≥ 4' }],
            },
            checkedAt: new Date().toISOString(),
          },
          metadata: { ...meta('system'), actor: { id: 'eligibility', role: 'system' } },
        },
      ]),
    approve: () =>
      store.append(`eligibility-${caseId}`, [
        {
          id: uuidv7(),
          type: 'NecessityConfirmed',
          data: {
            caseId,
            ruleSetVersion: 3,
            reason: 'care level notice seen',
            decidedBy: 'eligibility-officer-7',
            decidedAt: new Date().toISOString(),
          },
          metadata: meta('eligibility-officer'),
        },
      ]),
    note: (text: string) =>
      store.append(`intakeCase-${caseId}`, [
        {
          id: uuidv7(),
          type: 'ServicesChanged',
          data: {
            caseId,
            added: [],
            removed: [],
            requestedServices: ['id-card', text],
            changedAt: new Date().toISOString(),
          },
          metadata: meta('intake-agent'),
        },
      ]),
  };
}
