/**
 * The one disclosure policy, checked over every read of personal data in every service (intake's case, eligibility's
 * assessment, casefile's history and state): for random callers — any set of roles, any purpose or none — each read
 * answers as the policy (shared/privacy/disclosure-policy.ts) predicts: 403 for a role the route does not serve or a
 * purpose none of the roles may read for, 400 for an auditor or admin who states none, else 200 with exactly the kinds
 * of personal data the disclosure grants in it (each kind's plaintext there, or nowhere in the answer), never cached.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalKeys, ROLES, type Role } from '@buergerkoffer/shared/http';
import { createLogger } from '@buergerkoffer/shared/observability';
import {
  type DataKind,
  DisclosureRefusedError,
  disclosureFor,
  mustStatePurpose,
  PURPOSES,
  type Purpose,
} from '@buergerkoffer/shared/privacy';
import { pollUntil } from '@buergerkoffer/shared/testing';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildEmbedded } from './app.ts';

/** Plaintexts of the case below, each of its kind. */
const NEEDLES = {
  name: ['identity', 'Quirinalda'],
  birthDate: ['birth-date', '1937-05-06'],
  street: ['address', 'Leuchtturmweg'],
  phone: ['contact', '98765432'],
  claims: ['health', '"careLevel"'],
  outcome: ['health', 'likely-eligible'],
  reason: ['case-notes', 'Bettlägerig seit Oktober'],
} as const satisfies Record<string, readonly [DataKind, string]>;
type Needle = keyof typeof NEEDLES;

interface ReadRoute {
  readonly name: string;
  readonly path: (caseId: string) => string;
  /** The roles the route serves at all. */
  readonly readers: readonly Role[];
  /** The personal data the route shows (where the disclosure grants its kind). */
  readonly shows: readonly Needle[];
}

const STAFF: readonly Role[] = [
  'intake-agent',
  'eligibility-officer',
  'scheduler',
  'field-officer',
  'auditor',
  'admin',
];
const ROUTES: readonly ReadRoute[] = [
  {
    name: 'intake case',
    path: (id) => `/intake/cases/${id}`,
    readers: ['intake-agent', 'eligibility-officer', 'scheduler', 'admin'],
    shows: ['name', 'birthDate', 'street', 'phone', 'claims'],
  },
  {
    name: 'eligibility assessment',
    path: (id) => `/eligibility/assessments/${id}`,
    readers: ['eligibility-officer', 'scheduler', 'auditor', 'admin', 'intake-agent'],
    shows: ['outcome', 'reason'],
  },
  {
    name: 'casefile history',
    path: (id) => `/casefile/cases/${id}/history`,
    readers: STAFF,
    shows: ['name', 'birthDate', 'street', 'phone', 'claims', 'outcome', 'reason'],
  },
  {
    name: 'casefile state',
    path: (id) => `/casefile/cases/${id}/state`,
    readers: STAFF,
    shows: ['outcome', 'reason'],
  },
];

/** What the policy predicts for the caller: the status, and on 200 the kinds granted. */
function predicted(route: ReadRoute, roles: readonly Role[], purpose: Purpose | undefined) {
  if (!roles.some((role) => route.readers.includes(role))) return { status: 403 } as const;
  if (purpose === undefined && mustStatePurpose(roles)) return { status: 400 } as const;
  try {
    return { status: 200, disclosure: disclosureFor(roles, purpose) } as const;
  } catch (error) {
    if (error instanceof DisclosureRefusedError) return { status: 403 } as const;
    throw error;
  }
}

describe('the disclosure policy on every read of personal data (roles × purposes × routes)', () => {
  let dataDir: string;
  let app: Awaited<ReturnType<typeof buildEmbedded>>;
  let keys: LocalKeys;
  let caseId: string;
  const call = async (method: 'GET' | 'POST', url: string, roles: readonly Role[], payload?: object, headers = {}) =>
    app.inject({
      method,
      url,
      headers: {
        authorization: `Bearer ${await keys.sign({
          subject: 'matrix-1',
          tenantId: 'bochum',
          roles,
          ...(roles.includes('kit-device') ? { kitId: '00000000-0000-4000-8000-00000000c0de' } : {}),
        })}`,
        ...headers,
      },
      ...(payload ? { payload } : {}),
    });

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'bk-disclosure-'));
    app = await buildEmbedded({ logger: createLogger({ service: 'test', level: 'silent' }), dataDir });
    await app.ready();
    keys = await LocalKeys.loadOrCreate(dataDir);
    const opened = await call('POST', '/intake/cases', ['intake-agent'], {
      applicant: {
        givenNames: 'Quirinalda',
        familyName: 'Zwetschgenbaum',
        birthDate: '1937-05-06',
        address: { street: 'Leuchtturmweg', houseNumber: '12', postalCode: '44787', city: 'Bochum' },
        phone: '+49 234 98765432',
      },
      requestedServices: ['id-card'],
      mobility: { careLevel: 5, disabilityMarks: ['aG'], permanentlyHomebound: true },
      channel: 'phone-115',
    });
    caseId = opened.json().caseId;
    await pollUntil(
      async () => (await call('GET', `/eligibility/assessments/${caseId}`, ['eligibility-officer'])).statusCode,
      (status) => status === 200,
      60_000,
      'the pre-check',
    );
    const decided = await call(
      'POST',
      `/eligibility/assessments/${caseId}/decision`,
      ['eligibility-officer'],
      { outcome: 'approve', reason: 'Bettlägerig seit Oktober' },
      { 'if-match': 'W/"0"' },
    );
    expect(decided.statusCode).toBe(200);
  }, 120_000);
  afterAll(async () => {
    await app?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('answers every caller as the policy predicts, showing exactly the kinds it grants', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...ROUTES),
        // A kit-device token is bound to one kit and carries no other role (a token that mixes it is refused: 401).
        fc.oneof(
          fc.subarray(
            ROLES.filter((role) => role !== 'kit-device'),
            { minLength: 1, maxLength: 3 },
          ),
          fc.constant<Role[]>(['kit-device']),
        ),
        fc.option(fc.constantFrom(...PURPOSES), { nil: undefined }),
        async (route, roles, purpose) => {
          const answer = await call('GET', `${route.path(caseId)}${purpose ? `?purpose=${purpose}` : ''}`, roles);
          const expected = predicted(route, roles, purpose);
          expect(answer.statusCode, `${route.name} for ${roles.join('+')} / ${purpose}`).toBe(expected.status);
          if (expected.status !== 200) {
            expect(answer.headers['content-type']).toMatch(/^application\/problem\+json/);
            for (const [, needle] of Object.values(NEEDLES)) expect(answer.body).not.toContain(needle);
            return;
          }
          expect(answer.headers['cache-control']).toBe('no-store');
          for (const [name, [kind, needle]] of Object.entries(NEEDLES)) {
            const granted = expected.disclosure.all || expected.disclosure.kinds.has(kind);
            const shown = route.shows.some((shownName) => shownName === name) && granted;
            expect(answer.body.includes(needle), `${route.name} for ${roles.join('+')} / ${purpose}: ${name}`).toBe(
              shown,
            );
          }
        },
      ),
      { numRuns: 120 },
    );
  }, 600_000);
});
