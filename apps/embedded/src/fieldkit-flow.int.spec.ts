/**
 * The kit's day in the embedded system, from the real path: intake opens, eligibility approves, scheduling books,
 * fieldkit follows both over the embedded bus — then the manifest, the sync (exactly once per submission, one bad
 * item losing none of the good ones), a visit cancelled in the office meanwhile (its records held as conflicts for
 * review), the review, and the outcomes in the case's history.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SyncResponse } from '@buergerkoffer/shared/contracts';
import { uuidv7 } from '@buergerkoffer/shared/event-sourcing';
import { LocalKeys, type Role } from '@buergerkoffer/shared/http';
import { createLogger } from '@buergerkoffer/shared/observability';
import { pollUntil } from '@buergerkoffer/shared/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildEmbedded } from './app.ts';

const TENANT = 'bochum';
const HOURS = [{ from: '07:00', to: '19:00' }];
const WEEK = { mon: HOURS, tue: HOURS, wed: HOURS, thu: HOURS, fri: HOURS };
const DEVICES = ['notebook', 'printer', 'scanner', 'fingerprint-sensor', 'signature-pad', 'camera', 'change-terminal'];

describe('the kit’s day, embedded', () => {
  let dataDir: string;
  let app: Awaited<ReturnType<typeof buildEmbedded>>;
  let keys: LocalKeys;
  let kitId: string;
  let staffIds: [string, string];
  const visits: { visitId: string; caseId: string; date: string }[] = [];
  const auth = async (role: Role, extra: { kitId?: string; tenantId?: string } = {}) => ({
    authorization: `Bearer ${await keys.sign({
      subject: role === 'kit-device' ? 'kit-session-1' : `${role}-1`,
      tenantId: extra.tenantId ?? TENANT,
      roles: [role],
      ...(role === 'kit-device' ? { kitId: extra.kitId ?? kitId } : {}),
    })}`,
  });
  const call = async (
    method: 'GET' | 'POST',
    url: string,
    role: Role,
    payload?: object,
    headers: Record<string, string> = {},
    extra: { kitId?: string; tenantId?: string } = {},
  ) =>
    app.inject({ method, url, headers: { ...(await auth(role, extra)), ...headers }, ...(payload ? { payload } : {}) });
  const address = { street: 'Hauptstraße', houseNumber: '5', postalCode: '44787', city: 'Bochum' };

  /** A case opened and approved, and waiting to be planned. */
  const approvedCase = async (familyName: string) => {
    const opened = await call('POST', '/intake/cases', 'intake-agent', {
      applicant: { givenNames: 'Erika', familyName, birthDate: '2004-06-01', address },
      requestedServices: ['id-card', 'registration-certificate'],
      mobility: { careLevel: 5, disabilityMarks: [], permanentlyHomebound: true },
      channel: 'phone-115',
    });
    expect(opened.statusCode).toBe(201);
    const caseId = opened.json().caseId as string;
    const assessment = await pollUntil(
      () => call('GET', `/eligibility/assessments/${caseId}`, 'eligibility-officer'),
      (response) => response.statusCode === 200,
      60_000,
      `the assessment of ${caseId}`,
    );
    const decided = await call(
      'POST',
      `/eligibility/assessments/${caseId}/decision`,
      'eligibility-officer',
      { outcome: 'approve' },
      { 'if-match': String(assessment.headers.etag) },
    );
    expect(decided.statusCode).toBe(200);
    return caseId;
  };
  /** Books the case's first proposal on the kit. */
  const book = async (caseId: string) => {
    const proposals = await pollUntil(
      () => call('GET', `/scheduling/proposals?caseId=${caseId}&limit=1`, 'scheduler'),
      // Until the approval has reached scheduling, the case is not among the proposal's participants.
      (response) => response.statusCode === 200 && response.json().proposals[0]?.caseIds.includes(caseId),
      60_000,
      `proposals for ${caseId}`,
    );
    const [slot] = proposals.json().proposals;
    const booked = await call('POST', '/scheduling/visits', 'scheduler', {
      caseIds: [caseId],
      kitId: slot.kitId,
      staffIds: slot.staffIds,
      start: slot.start,
      end: slot.end,
      place: { kind: 'home', address: 'Hauptstraße 5, 44787 Bochum' },
    });
    expect(booked.statusCode, booked.body).toBe(201);
    return { visitId: booked.json().visitId as string, caseId, date: slot.date as string };
  };
  const manifest = (date: string, role: Role = 'kit-device', headers: Record<string, string> = {}) =>
    call('GET', `/fieldkit/kits/${kitId}/manifest?date=${date}`, role, undefined, headers);
  const sync = async (items: object[]) => {
    const response = await call('POST', `/fieldkit/kits/${kitId}/sync`, 'kit-device', { items });
    expect(response.statusCode, response.body).toBe(200);
    return response.json<SyncResponse>();
  };
  /** The case's history as an auditor reads it: every event any service stored about it. */
  const history = async (caseId: string) => {
    const response = await call('GET', `/casefile/cases/${caseId}/history?purpose=audit&limit=1000`, 'auditor');
    expect(response.statusCode, response.body).toBe(200);
    type Entry = { type: string; stream: string; actor: { id: string; role: string } | null; data: unknown };
    return response.json<{ events: Entry[] }>().events;
  };
  let sequence = 0;
  const record = (visitId: string, baseVersion: number, fields: object) => ({
    submissionId: uuidv7(),
    deviceId: 'bk-01-nb',
    baseVersion,
    capturedAt: new Date().toISOString(),
    sequence: ++sequence,
    visitId,
    recordedBy: staffIds[0],
    ...fields,
  });

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'bk-fieldkit-'));
    app = await buildEmbedded({ logger: createLogger({ service: 'test', level: 'silent' }), dataDir });
    await app.ready();
    keys = await LocalKeys.loadOrCreate(dataDir);
    const kit = await call('POST', '/scheduling/kits', 'admin', {
      name: 'Koffer 1',
      homeOffice: 'Bürgerbüro Mitte',
      devices: DEVICES.map((device) => ({ device })),
    });
    expect(kit.statusCode, kit.body).toBe(201);
    kitId = kit.json().kitId;
    const staff = async (displayName: string) => {
      const created = await call('POST', '/scheduling/staff', 'admin', {
        displayName,
        homeOffice: 'Bürgerbüro Mitte',
        workingHours: WEEK,
      });
      expect(created.statusCode, created.body).toBe(201);
      return created.json().staffId as string;
    };
    staffIds = [await staff('Anna'), await staff('Ben')];
    visits.push(await book(await approvedCase('Mustermann')));
    visits.push(await book(await approvedCase('Beispiel')));
  }, 180_000);
  afterAll(async () => {
    await app?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('serves the kit its day: the visit, who is at the door (no health data), services, devices, fees; 304 when unchanged', async () => {
    const [first] = visits;
    if (!first) throw new Error('no visit');
    const response = await pollUntil(
      () => manifest(first.date),
      // Every visit of the day booked (the manifest's version changes as each arrives).
      (r) =>
        r.statusCode === 200 &&
        visits
          .filter((booked) => booked.date === first.date)
          .every((booked) => r.json().visits.some((v: { visitId: string }) => v.visitId === booked.visitId)),
      60_000,
      'the day’s visits in the manifest',
    );
    const body = response.json();
    const visit = body.visits.find((v: { visitId: string }) => v.visitId === first.visitId);
    expect(visit).toMatchObject({ version: 1, status: 'planned', staffIds: expect.arrayContaining(staffIds) });
    expect(visit.participants[0]).toMatchObject({
      caseId: first.caseId,
      givenNames: 'Erika',
      familyName: 'Mustermann',
      birthDate: '2004-06-01',
      address: { street: 'Hauptstraße', city: 'Bochum' },
    });
    // Under 24 on the day: the reduced fee of the ID card.
    expect(visit.participants[0].services).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          service: 'id-card',
          expectedFeeCents: 2280,
          devices: expect.arrayContaining(['camera']),
        }),
      ]),
    );
    expect(JSON.stringify(body)).not.toMatch(/careLevel|mobility|disabilityMarks/);
    expect(response.headers.etag).toBe(`"${body.version}"`);
    const again = await manifest(first.date, 'kit-device', { 'if-none-match': String(response.headers.etag) });
    expect(again.statusCode).toBe(304);
    // Another kit's session sees no such kit; the office reads it; intake may not.
    const otherKit = await call(
      'GET',
      `/fieldkit/kits/${kitId}/manifest?date=${first.date}`,
      'kit-device',
      undefined,
      {},
      {
        kitId: uuidv7(),
      },
    );
    expect(otherKit.statusCode).toBe(404);
    expect((await manifest(first.date, 'field-officer')).statusCode).toBe(200);
    expect((await manifest(first.date, 'intake-agent')).statusCode).toBe(403);
  });

  it('takes in each record exactly once; a bad item is rejected naming its field and loses none of the good ones', async () => {
    const [first] = visits;
    if (!first) throw new Error('no visit');
    const items = [
      record(first.visitId, 1, { kind: 'visit-started' }),
      record(first.visitId, 1, {
        kind: 'device-check',
        phase: 'start',
        devices: [
          { device: 'camera', status: 'ok' },
          { device: 'printer', status: 'ok' },
        ],
      }),
      record(first.visitId, 1, {
        kind: 'service-completed',
        caseId: first.caseId,
        service: 'id-card',
        producerReference: 'L01X00T47',
        feeCents: 2280,
        paymentMethod: 'card',
      }),
      // A photo never enters the system: refused by the schema, by name.
      record(first.visitId, 1, {
        kind: 'service-completed',
        caseId: first.caseId,
        service: 'registration-certificate',
        feeCents: 500,
        paymentMethod: 'cash',
        photo: `data:image/jpeg;base64,/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAgGBgcGBQgHBwcJCQgKDBQNDAsLDBkSEw8UHRofHh0aHBwg`,
      }),
      record(first.visitId, 1, {
        kind: 'service-not-completed',
        caseId: first.caseId,
        service: 'registration-certificate',
        reason: 'missing-document',
      }),
      record(first.visitId, 1, {
        kind: 'service-completed',
        caseId: uuidv7(),
        service: 'id-card',
        feeCents: 0,
        paymentMethod: 'none',
      }),
    ];
    const answered = await sync(items);
    expect(answered.results.map((r) => r.status)).toEqual([
      'accepted',
      'accepted',
      'accepted',
      'rejected',
      'accepted',
      'rejected',
    ]);
    expect(answered.results[3]).toMatchObject({ errors: [expect.objectContaining({ field: 'photo' })] });
    expect(answered.results[5]).toMatchObject({ errors: [expect.objectContaining({ field: 'caseId' })] });

    // The same batch again: the first answers, nothing appended twice.
    const again = await sync(items);
    expect(again.results.slice(0, 3).map((r) => r.status)).toEqual(['duplicate', 'duplicate', 'duplicate']);
    expect(again.results[0]).toMatchObject({ first: { status: 'accepted', sequence: items[0]?.sequence } });
    // The same id with other content: refused, named.
    const reused = await sync([{ ...items[2], feeCents: 3700 }]);
    expect(reused.results[0]).toMatchObject({ status: 'conflict', code: 'submission-id-reused' });
    const events = (await history(first.caseId)).filter((e) => e.stream === `fieldVisit-${first.visitId}`);
    expect(events.map((e) => e.type)).toEqual([
      'FieldVisitStarted',
      'DevicesChecked',
      'ServiceCompleted',
      'ServiceNotCompleted',
    ]);
    expect(events.find((e) => e.type === 'ServiceCompleted')?.actor).toEqual({
      id: 'kit-session-1',
      role: 'kit-device',
    });
    // The kit's read of who was at the door is in the case's access log.
    expect(await history(first.caseId)).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          type: 'CaseRecordAccessed',
          actor: { id: 'kit-session-1', role: 'kit-device' },
          data: expect.objectContaining({ resource: 'manifest' }),
        }),
      ]),
    );
  });

  it('holds the records of a visit cancelled in the office meanwhile as hard conflicts, for review', async () => {
    const [, second] = visits;
    if (!second) throw new Error('no visit');
    await pollUntil(
      () => manifest(second.date),
      (r) => r.statusCode === 200 && r.json().visits.some((v: { visitId: string }) => v.visitId === second.visitId),
      60_000,
      'the second visit in the manifest',
    );
    const visit = await call('GET', `/scheduling/visits/${second.visitId}`, 'scheduler');
    const cancelled = await call(
      'POST',
      `/scheduling/visits/${second.visitId}/cancel`,
      'scheduler',
      { reason: 'citizen-request' },
      { 'if-match': String(visit.headers.etag) },
    );
    expect(cancelled.statusCode, cancelled.body).toBe(200);
    await pollUntil(
      () => manifest(second.date),
      (r) => r.statusCode === 200 && !r.json().visits.some((v: { visitId: string }) => v.visitId === second.visitId),
      60_000,
      'the cancelled visit to leave the manifest',
    );
    // The kit never heard of it: its records are made on version 1.
    // An id the kit used before, on another visit: refused, named (the store holds it elsewhere).
    const firstVisit = visits[0];
    if (!firstVisit) throw new Error('no visit');
    const earlier = await sync([record(firstVisit.visitId, 1, { kind: 'visit-ended' })]);
    expect(earlier.results[0]?.status).toBe('accepted');
    const elsewhere = await sync([
      { ...record(second.visitId, 1, { kind: 'visit-ended' }), submissionId: earlier.results[0]?.submissionId },
    ]);
    expect(elsewhere.results[0]).toMatchObject({ status: 'conflict', code: 'submission-id-reused' });
    const held = await sync([
      record(second.visitId, 1, { kind: 'visit-started' }),
      record(second.visitId, 1, {
        kind: 'service-completed',
        caseId: second.caseId,
        service: 'id-card',
        producerReference: 'L01X00T48',
        feeCents: 2280,
        paymentMethod: 'cash',
      }),
    ]);
    expect(held.results).toEqual([
      expect.objectContaining({ status: 'recorded-as-conflict', severity: 'hard', fields: ['status'] }),
      expect.objectContaining({ status: 'recorded-as-conflict', severity: 'hard', fields: ['status'] }),
    ]);
    const conflictIds = held.results.map((r) => (r.status === 'recorded-as-conflict' ? r.conflictId : ''));
    const list = await pollUntil(
      () => call('GET', `/fieldkit/conflicts?visitId=${second.visitId}`, 'scheduler'),
      (r) => r.statusCode === 200 && r.json().items.length === 2,
      60_000,
      'the conflicts in the review list',
    );
    expect(
      list
        .json()
        .items.map((c: { conflictId: string }) => c.conflictId)
        .sort(),
    ).toEqual([...conflictIds].sort());
    expect(list.json().items[0]).toMatchObject({ status: 'open', office: { status: 'cancelled' } });

    // Resolved once (the record takes effect then), and only once.
    const url = `/fieldkit/conflicts/${conflictIds[1]}/resolve`;
    const resolved = await call('POST', url, 'scheduler', { resolution: 'accept-kit', reason: 'visit-took-place' });
    expect(resolved.statusCode, resolved.body).toBe(200);
    expect(resolved.json()).toMatchObject({
      status: 'resolved',
      resolution: 'accept-kit',
      resolvedBy: { id: 'scheduler-1' },
    });
    const twice = await call('POST', url, 'scheduler', { resolution: 'keep-office', reason: 'office-data-correct' });
    expect(twice.statusCode).toBe(409);
    const events = (await history(second.caseId)).filter((e) => e.stream === `fieldVisit-${second.visitId}`);
    expect(events.map((e) => e.type)).toEqual([
      'SubmissionConflictRecorded',
      'SubmissionConflictRecorded',
      'SubmissionConflictResolved',
      'ServiceCompleted',
    ]);
  });
});
