/**
 * Scheduling as a whole on an embedded store, for the calendar files' route tests — its clock stopped on
 * 2027-03-01 — and a tenant set up over its own API: settings with every weekday a working day (so that visits fall
 * on the Sundays the clocks change), kits, field staff, and cases approved for planning (their demand appended as
 * the demand consumer appends it). Visits are booked over HTTP as a scheduler books them; the read models are
 * waited for by polling, never by sleeping.
 */
import { uuidv7 } from '@buergerkoffer/shared/event-sourcing';
import type { Role } from '@buergerkoffer/shared/http';
import { buildTestApp, pollUntil, type TestApp } from '@buergerkoffer/shared/testing';
import { expect } from 'vitest';
import { definition } from '../service.ts';
import { instantAt } from '../time/local-time.ts';

export const NOW = new Date('2027-03-01T08:00:00Z');
export const ZONE = 'Europe/Berlin';
const WAIT_MS = 20_000;

/**
 * The app's clock: NOW, except while a visit is booked — bookings are made ahead of their visits (a visit in the
 * past is refused), and the feeds are read on NOW, after some of them (the autumn visit is history by then).
 */
const clock = { at: NOW };
export const calendarApp = (): Promise<TestApp> =>
  buildTestApp(definition, { deps: (deps) => ({ ...deps, now: () => clock.at }) });

export interface Caller {
  readonly role?: Role;
  readonly roles?: readonly Role[];
  readonly tenantId?: string;
}

export interface Answer {
  readonly status: number;
  readonly headers: Readonly<Record<string, unknown>>;
  readonly text: string;
  // The parsed JSON, as `inject().json()` gives it: tests assert on it field by field.
  readonly body: ReturnType<typeof JSON.parse>;
}

/** Requests as a caller with one role, or several (tenant bochum unless told). */
export function client(fixture: TestApp) {
  const authorization = async (caller: Caller) => {
    const tenantId = caller.tenantId ?? 'bochum';
    const roles = caller.roles ?? [caller.role ?? 'scheduler'];
    const kitId = roles.includes('kit-device') ? { kitId: '00000000-0000-4000-8000-00000000c0de' } : {};
    const token = await fixture.tokens.sign({ subject: `${roles.join('+')}-1`, tenantId, roles, ...kitId });
    return `Bearer ${token}`;
  };
  const send = async (
    method: 'GET' | 'POST' | 'PUT',
    url: string,
    caller: Caller,
    payload?: unknown,
    headers: Record<string, string> = {},
  ): Promise<Answer> => {
    const response = await fixture.app.inject({
      method,
      url,
      headers: { authorization: await authorization(caller), ...headers },
      ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
    });
    const isJson = /json/.test(String(response.headers['content-type'] ?? ''));
    return {
      status: response.statusCode,
      headers: response.headers,
      text: response.body,
      body: isJson ? response.json() : undefined,
    };
  };
  return {
    get: (url: string, caller: Caller = {}) => send('GET', url, caller),
    post: (url: string, caller: Caller, payload: unknown, headers?: Record<string, string>) =>
      send('POST', url, caller, payload, headers),
    put: (url: string, caller: Caller, payload: unknown, headers?: Record<string, string>) =>
      send('PUT', url, caller, payload, headers),
  };
}
export type Client = ReturnType<typeof client>;

/** The answer's body, once its status is the one expected (else the test fails naming the problem). */
export const answered = (answer: Answer, status: number, what: string) => {
  expect(answer.status, `${what}: ${answer.text}`).toBe(status);
  return answer.body;
};

const ALL_DEVICES = [
  'notebook',
  'printer',
  'scanner',
  'fingerprint-sensor',
  'signature-pad',
  'camera',
  'change-terminal',
];
const allWeek = Object.fromEntries(
  ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'].map((day) => [day, [{ from: '07:00', to: '19:00' }]]),
);

/** Every weekday a working day (North Rhine-Westphalia's holidays still close the office). */
export async function openEveryDay(api: Client, tenantId = 'bochum'): Promise<void> {
  const answer = await api.put(
    '/settings',
    { role: 'admin', tenantId },
    {
      holidayRegion: { country: 'DE', state: 'NW' },
      workingDays: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'],
      setupMinutes: 15,
      packAwayMinutes: 15,
      travelBufferMinutes: 15,
      slotStepMinutes: 15,
      horizonDays: 365,
    },
    { 'if-match': 'W/"-1"' },
  );
  answered(answer, 200, 'settings');
}

export async function registerKit(api: Client, name: string, tenantId = 'bochum'): Promise<string> {
  const answer = await api.post(
    '/kits',
    { role: 'admin', tenantId },
    { name, homeOffice: 'Bürgerbüro Mitte', devices: ALL_DEVICES.map((device) => ({ device })) },
  );
  return answered(answer, 201, 'kit').kitId;
}

export async function registerStaff(api: Client, displayName: string, tenantId = 'bochum'): Promise<string> {
  const answer = await api.post(
    '/staff',
    { role: 'admin', tenantId },
    { displayName, homeOffice: 'Bürgerbüro Mitte', workingHours: allWeek },
  );
  return answered(answer, 201, 'staff').staffId;
}

/** Waits until the kit and staff lists (read models) hold them: a booking checks against those. */
export async function resourcesListed(api: Client, kitIds: readonly string[], staffIds: readonly string[]) {
  await pollUntil(
    async () => {
      const [kits, staff] = await Promise.all([api.get('/kits'), api.get('/staff')]);
      return [
        (kits.body?.items ?? []).map((k: { kitId: string }) => k.kitId),
        (staff.body?.items ?? []).map((s: { staffId: string }) => s.staffId),
      ] as const;
    },
    ([kits, staff]) => kitIds.every((id) => kits.includes(id)) && staffIds.every((id) => staff.includes(id)),
    WAIT_MS,
    'the kits and staff in their lists',
  );
}

/** A case approved for planning with its services (and group request), as the demand consumer records it. */
export async function approvedCase(
  fixture: TestApp,
  services: readonly string[],
  group?: { readonly groupRequestId: string; readonly institutionId: string },
): Promise<string> {
  const caseId = uuidv7();
  const metadata = { tenantId: 'bochum', caseId };
  const at = NOW.toISOString();
  await fixture.store.append(`schedulingDemand-${caseId}`, [
    {
      id: uuidv7(),
      type: 'DemandRecorded',
      data: { caseId, applicantSubjectId: uuidv7(), requestedServices: [...services], recordedAt: at, ...group },
      metadata,
    },
    { id: uuidv7(), type: 'DemandApproved', data: { caseId, approvedAt: at }, metadata },
  ]);
  await pollUntil(
    () => fixture.sql.query<{ status: string }>('select status from scheduling_demand where case_id = $1', [caseId]),
    (rows) => rows[0]?.status === 'to-plan',
    WAIT_MS,
    `case ${caseId} to plan`,
  );
  return caseId;
}

export interface Booking {
  readonly caseIds: readonly string[];
  readonly kitId: string;
  readonly staffIds: readonly [string, string];
  /** Local date and wall-clock times in Europe/Berlin. */
  readonly date: string;
  readonly from: string;
  readonly to: string;
  readonly place: { readonly kind: 'home' | 'institution' | 'other'; readonly institutionId?: string };
  readonly address: string;
}

/** Books the visit as a scheduler does (201); answers the visit as GET /visits/:id shows it. */
export async function bookVisit(api: Client, booking: Booking) {
  const start = instantAt(booking.date, booking.from, ZONE);
  if (start < NOW) clock.at = new Date(start.getTime() - 7 * 86_400_000);
  const answer = await api
    .post(
      '/visits',
      { role: 'scheduler' },
      {
        caseIds: booking.caseIds,
        kitId: booking.kitId,
        staffIds: booking.staffIds,
        start: instantAt(booking.date, booking.from, ZONE).toISOString(),
        end: instantAt(booking.date, booking.to, ZONE).toISOString(),
        place: { ...booking.place, address: booking.address },
      },
    )
    .finally(() => {
      clock.at = NOW;
    });
  return answered(answer, 201, 'visit');
}

/** Waits until the visits read model shows the visit at `sequence` (what the calendar files read). */
export async function visitListed(fixture: TestApp, visitId: string, sequence = 0): Promise<void> {
  await pollUntil(
    () =>
      fixture.sql.query<{ status: string; sequence: number }>(
        'select status, sequence from scheduling_visits where visit_id = $1',
        [visitId],
      ),
    (rows) => rows[0] !== undefined && rows[0].status !== 'booking' && Number(rows[0].sequence) >= sequence,
    WAIT_MS,
    `visit ${visitId} at sequence ${sequence} in the read model`,
  );
}
