/**
 * The casefile service over a real store (PGlite or the PostgreSQL server), listening on a real port (live feeds
 * need a real HTTP client), and writers that append events shaped as intake and eligibility store them — sealed
 * by the real PersonalDataStore with intake's kinds of personal fields.
 */
import { type Sql, uuidv7 } from '@buergerkoffer/shared/event-sourcing';
import type { Role } from '@buergerkoffer/shared/http';
import { type PersonalDataPolicy, PersonalDataStore, type PostgresKeyStore } from '@buergerkoffer/shared/privacy';
import { buildTestApp } from '@buergerkoffer/shared/testing';
import { definition, type FeedOptions } from '../src/service.ts';

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
  // As eligibility seals them since issue 13 (services/eligibility/src/assessments/assessment.privacy.ts).
  AssessmentPrechecked: [
    { subject: 'applicantSubjectId', fields: ['input.mobility', 'precheck.outcome', 'precheck.rules'] },
  ],
  NecessityConfirmed: [{ subject: 'applicantSubjectId', fields: ['reason', 'override'] }],
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
  /** A request with a JSON body (writes). */
  readonly send: (
    method: 'POST' | 'DELETE',
    path: string,
    role: Role,
    body?: unknown,
    headers?: Record<string, string>,
  ) => Promise<{ status: number; body: ReturnType<typeof JSON.parse>; headers: Record<string, unknown> }>;
  readonly close: () => Promise<void>;
}

/** `now`: the service's clock (default the system's), for reads that depend on the day. */
export async function casefileApp(sql: Sql, feeds: FeedOptions = {}, now?: () => Date): Promise<CasefileFixture> {
  const fixture = await buildTestApp(definition, {
    sql,
    storeOptions: { pollIntervalMs: 200 },
    listen: true,
    deps: (deps) => ({ ...deps, feeds, ...(now ? { now } : {}) }),
  });
  const url = fixture.url ?? '';
  const auth = (role: Role, tenantId = 'bochum', subject = `${role}-1`) => fixture.auth(role, tenantId, subject);
  return {
    url,
    sql,
    store: new PersonalDataStore(fixture.store, fixture.keyStore, policy),
    keys: fixture.keyStore,
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
    send: async (method, path, role, body, headers = {}) => {
      const response = await fetch(`${url}${path}`, {
        method,
        headers: {
          ...(await auth(role)),
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...headers,
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await response.text();
      return {
        status: response.status,
        body: text ? JSON.parse(text) : undefined,
        headers: Object.fromEntries(response.headers),
      };
    },
    // The database is the fixture's from here on: closed with it.
    close: async () => {
      await fixture.close();
      await sql.close();
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
    /** A pre-check and a rejection as eligibility stored them before issue 13: rule results and reason in clear. */
    legacyDecision: async () => {
      await store.sealed.append(`eligibility-${caseId}`, [
        {
          id: uuidv7(),
          type: 'AssessmentPrechecked',
          data: {
            caseId,
            applicantSubjectId: subjectId,
            input: { requestedServices: ['id-card'] },
            precheck: {
              outcome: 'not-eligible',
              ruleSetVersion: 3,
              rules: [{ rule: 'min-care-level', passed: false, detail: 'care level 1 < 4' }],
            },
            checkedAt: new Date().toISOString(),
          },
          metadata: { ...meta('system'), actor: { id: 'eligibility', role: 'system' } },
        },
        {
          id: uuidv7(),
          type: 'CaseRejected',
          data: {
            caseId,
            ruleSetVersion: 3,
            reason: 'Pflegegrad 1, kein Merkzeichen aG',
            decidedBy: 'eligibility-officer-7',
            decidedAt: new Date().toISOString(),
          },
          metadata: meta('eligibility-officer'),
        },
      ]);
    },
    approve: () =>
      store.append(`eligibility-${caseId}`, [
        {
          id: uuidv7(),
          type: 'NecessityConfirmed',
          data: {
            caseId,
            applicantSubjectId: subjectId,
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
