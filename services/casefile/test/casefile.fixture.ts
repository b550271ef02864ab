/**
 * The casefile service over a real store (PGlite or the PostgreSQL server), listening on a real port (live feeds
 * need a real HTTP client), and writers that append events shaped as intake, eligibility and scheduling store them —
 * sealed by the real PersonalDataStore with those services' kinds of personal fields.
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
  // As scheduling seals a visit's place (services/scheduling/src/visits/visit.privacy.ts): the home's applicant's
  // key, or the visit's own id where the place is no one's home.
  VisitBookingStarted: [{ subject: 'placeSubjectId', fallbackSubject: 'visitId', fields: ['place.address'] }],
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

/** A slot of a visit: kit, two staff, a local date and a window (times in UTC). */
export const slot = (date: string, from: string, to: string) => ({
  kitId: '0193a0b0-0000-7000-8000-00000000c0f1',
  staffIds: ['0193a0b0-0000-7000-8000-00000000a001', '0193a0b0-0000-7000-8000-00000000a002'],
  date,
  start: `${date}T${from}:00.000Z`,
  end: `${date}T${to}:00.000Z`,
  bufferMinutes: 15,
});

/**
 * A visit as scheduling records it (services/scheduling/src/visits/visit.events.ts) on `visit-<visitId>`: every event
 * naming the visit's cases in `metadata.caseIds` (`cases()`: the participants, and those removed, as now).
 */
export function visitWriter(
  store: PersonalDataStore,
  participants: readonly { caseId: string; subjectId?: string }[],
  tenantId = 'bochum',
) {
  const visitId = uuidv7();
  const named = participants.map((p) => p.caseId);
  let holds = 0;
  const append = (type: string, data: Record<string, unknown>) =>
    store.append(`visit-${visitId}`, [
      {
        id: uuidv7(),
        type,
        data: { visitId, ...data },
        metadata: {
          tenantId,
          caseIds: named,
          actor: { id: 'scheduler-7', role: 'scheduler' },
          correlationId: uuidv7(),
        },
      },
    ]);
  const at = () => new Date().toISOString();
  return {
    visitId,
    /** The booking: at the home of `placeSubjectId` (sealed with their key), else at an institution (sealed under
     *  the visit's id). */
    start: (allocation: ReturnType<typeof slot>, address: string, placeSubjectId?: string) =>
      append('VisitBookingStarted', {
        holdId: `${visitId}:${++holds}`,
        ...allocation,
        participants: participants.map((p) => ({ ...p, services: ['id-card'] })),
        place: { kind: placeSubjectId ? 'home' : 'institution', address },
        ...(placeSubjectId ? { placeSubjectId } : {}),
        requiredDevices: ['camera', 'fingerprint-sensor', 'signature-pad', 'printer'],
        requestedBy: 'scheduler-7',
        requestedAt: at(),
      }),
    plan: (allocation: ReturnType<typeof slot>) =>
      append('VisitPlanned', {
        holdId: `${visitId}:${holds}`,
        ...allocation,
        participants: participants.map((p) => ({ caseId: p.caseId, services: ['id-card'] })),
        plannedAt: at(),
      }),
    reschedule: async (from: ReturnType<typeof slot>, to: ReturnType<typeof slot>) => {
      const previous = { holdId: `${visitId}:${holds}`, ...from };
      const holdId = `${visitId}:${++holds}`;
      await append('VisitRescheduleStarted', { holdId, ...to, requestedBy: 'scheduler-7', requestedAt: at() });
      return append('VisitRescheduled', { holdId, ...to, previous, rescheduledAt: at() });
    },
    confirm: () => append('VisitConfirmed', { confirmedBy: 'citizen', recordedBy: 'scheduler-7', confirmedAt: at() }),
    cancel: (reason = 'citizen-request') =>
      append('VisitCancelled', { reason, cancelledBy: 'scheduler-7', cancelledAt: at() }),
    remove: (caseId: string, reason = 'case-withdrawn') =>
      append('ParticipantRemoved', { caseId, reason, removedBy: 'scheduler-7', removedAt: at() }),
    /** Any event on the visit's stream, as given (for events that do not carry what they should). */
    raw: append,
  };
}

/**
 * The kit's records of a visit as fieldkit stores them (services/fieldkit/src/visits/field-visit.events.ts) on
 * `fieldVisit-<visitId>`: the visit's own records naming its participants' cases (`caseIds`, or `caseId` for one), a
 * service's outcome and a conflict about one participant's record naming that case.
 */
export function fieldVisitWriter(
  store: PersonalDataStore,
  visit: { readonly visitId: string; readonly kitId: string; readonly caseIds: readonly string[] },
  tenantId = 'bochum',
) {
  const { visitId, kitId } = visit;
  let sequence = 0;
  const cases = (caseIds: readonly string[]) => (caseIds.length === 1 ? { caseId: caseIds[0] } : { caseIds });
  const append = (type: string, data: Record<string, unknown>, caseIds: readonly string[] = visit.caseIds) =>
    store.append(`fieldVisit-${visitId}`, [
      {
        id: uuidv7(),
        type,
        data: { visitId, ...data },
        metadata: {
          tenantId,
          ...cases(caseIds),
          actor: { id: 'kit-device-1', role: 'kit-device' },
          correlationId: uuidv7(),
        },
      },
    ]);
  const recorded = (capturedAt: string) => ({
    kitId,
    recordedBy: '0193a0b0-0000-7000-8000-00000000a001',
    submission: {
      submissionId: uuidv7(),
      deviceId: 'bk-03-nb',
      baseVersion: 1,
      capturedAt,
      sequence: ++sequence,
      contentHash: 'c0ffee',
    },
  });
  return {
    started: (capturedAt: string) => append('FieldVisitStarted', recorded(capturedAt)),
    ended: (capturedAt: string) => append('FieldVisitEnded', recorded(capturedAt)),
    completed: (caseId: string, service: string, capturedAt: string, producerReference?: string) =>
      append(
        'ServiceCompleted',
        {
          ...recorded(capturedAt),
          caseId,
          service,
          ...(producerReference ? { producerReference } : {}),
          feeCents: 3700,
          paymentMethod: 'card',
        },
        [caseId],
      ),
    notCompleted: (caseId: string, service: string, reason: string, capturedAt: string) =>
      append('ServiceNotCompleted', { ...recorded(capturedAt), caseId, service, reason }, [caseId]),
    conflict: (caseId: string, conflictId: string, capturedAt: string) =>
      append(
        'SubmissionConflictRecorded',
        {
          conflictId,
          kitId,
          severity: 'hard',
          fields: ['services'],
          officeVersion: 2,
          record: { kind: 'service-completed', caseId, service: 'passport' },
          submission: recorded(capturedAt).submission,
          caseId,
          recordedAt: new Date().toISOString(),
        },
        [caseId],
      ),
    resolve: (caseId: string, conflictId: string, resolution: string) =>
      append(
        'SubmissionConflictResolved',
        {
          conflictId,
          resolution,
          reason: 'Rücksprache mit dem Team',
          resolvedBy: { id: 'scheduler-7', role: 'scheduler' },
          resolvedAt: new Date().toISOString(),
        },
        [caseId],
      ),
  };
}
