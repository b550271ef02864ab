import { Writable } from 'node:stream';
import { fromKafkaRecord, INTAKE_CASE_TOPIC, intakeCaseContracts } from '@buergerkoffer/shared/contracts';
import type { Sql } from '@buergerkoffer/shared/event-sourcing';
import { type HttpApp, idempotencyKeyHash, type Role } from '@buergerkoffer/shared/http';
import type { IncomingMessage } from '@buergerkoffer/shared/messaging';
import { createLogger } from '@buergerkoffer/shared/observability';
import { buildTestApp, type TestApp } from '@buergerkoffer/shared/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { definition } from '../service.ts';

const request = {
  applicant: {
    givenNames: 'Erika',
    familyName: 'Mustermann',
    birthDate: '1941-03-12',
    address: { street: 'Hauptstraße', houseNumber: '5', postalCode: '44787', city: 'Bochum' },
    phone: '+49 234 000000',
  },
  requestedServices: ['id-card', 'registration-certificate'],
  mobility: { careLevel: 4, disabilityMarks: [], permanentlyHomebound: true },
  channel: 'phone-115',
  contactPerson: { name: 'Max Mustermann', relation: 'relative', phone: '+49 234 111111' },
};

describe('intake cases over HTTP (embedded store)', () => {
  let fixture: TestApp;
  let app: HttpApp;
  let sql: Sql;
  const logLines: string[] = [];
  const published: IncomingMessage[] = [];
  const token = (role: Role, tenantId = 'bochum') =>
    fixture.tokens.sign({ subject: `${role}-1`, tenantId, roles: [role] });
  const auth = async (role: Role = 'intake-agent', tenantId = 'bochum') => ({
    authorization: `Bearer ${await token(role, tenantId)}`,
  });

  beforeAll(async () => {
    const logs = new Writable({
      write(chunk, _encoding, done) {
        logLines.push(String(chunk));
        done();
      },
    });
    fixture = await buildTestApp(definition, { logger: createLogger({ service: 'intake', level: 'debug' }, logs) });
    ({ app, sql } = fixture);
    // The service created its topic at start; a reader of everything it publishes.
    const reader = await fixture.bus.subscribe({ groupId: 'test-reader', topics: [INTAKE_CASE_TOPIC] }, async (m) => {
      published.push(m);
    });
    await reader.ready;
  }, 60_000); // PGlite takes its time to start on a busy machine
  afterAll(async () => fixture.close());

  const open = async (body: unknown = request, headers: Record<string, string> = {}) =>
    app.inject({ method: 'POST', url: '/cases', headers: { ...(await auth()), ...headers }, payload: body as object });

  describe('POST /cases', () => {
    it('opens a case: 201 with the case id, a reference, Location and ETag', async () => {
      const response = await open();
      expect(response.statusCode).toBe(201);
      const body = response.json();
      expect(body).toMatchObject({ status: 'open', reference: expect.stringMatching(/^MB-\d{4}-\d{5}$/) });
      expect(response.headers.location).toBe(`/cases/${body.caseId}`);
      expect(response.headers.etag).toBe('W/"0"');
    });

    it('answers the same request with the same Idempotency-Key with the same case', async () => {
      const first = await open(request, { 'idempotency-key': 'req-1' });
      const again = await open(request, { 'idempotency-key': 'req-1' });
      expect(again.json()).toEqual(first.json());
      expect(again.headers['idempotent-replayed']).toBe('true');
    });

    it('derives the case from the key: a retry whose idempotency record is gone (a crash) finds the same case', async () => {
      const first = await open(request, { 'idempotency-key': 'req-crash' });
      await sql.query('delete from http_idempotency where key = $1', [idempotencyKeyHash('req-crash')]);
      const retry = await open(request, { 'idempotency-key': 'req-crash' });
      expect(retry.statusCode).toBe(201);
      expect(retry.headers['idempotent-replayed']).toBeUndefined();
      expect(retry.json()).toEqual(first.json());
      // Another caller's key of the same name is another case.
      const other = await app.inject({
        method: 'POST',
        url: '/cases',
        headers: {
          authorization: `Bearer ${await fixture.tokens.sign({ subject: 'intake-agent-2', tenantId: 'bochum', roles: ['intake-agent'] })}`,
          'idempotency-key': 'req-crash',
        },
        payload: request,
      });
      expect(other.json().caseId).not.toBe(first.json().caseId);
    });

    it('keeps nothing in clear with the key: neither the key nor the answer; the retry opens it', async () => {
      const first = await open(request, { 'idempotency-key': 'req-stored' });
      const rows = await sql.query<{ key: string; headers: unknown; body: string }>(
        'select key, headers, body from http_idempotency where key = $1',
        [idempotencyKeyHash('req-stored')],
      );
      expect(rows).toHaveLength(1);
      const stored = JSON.stringify(rows);
      expect(stored).not.toContain('req-stored');
      expect(stored).not.toContain(first.json().caseId);
      expect(stored).not.toContain(first.json().reference);
      expect(rows[0]?.body).toMatch(/^sealed:v1:/);
      const replay = await open(request, { 'idempotency-key': 'req-stored' });
      expect(replay.headers['idempotent-replayed']).toBe('true');
      expect(replay.json()).toEqual(first.json());
      expect(replay.headers.location).toBe(first.headers.location);
    });

    it('answers 400 naming each bad field: unknown or repeated services, a bad date, a third party', async () => {
      const response = await open({
        ...request,
        applicant: { ...request.applicant, birthDate: '12.03.1941' },
        requestedServices: ['id-card', 'teleportation', 'id-card'],
        beneficiary: { name: 'someone else' },
      });
      expect(response.statusCode).toBe(400);
      const fields = response.json().errors.map((e: { field: string }) => e.field);
      expect(fields).toEqual(expect.arrayContaining(['body.applicant.birthDate', 'body.requestedServices.1', 'body']));
      expect(JSON.stringify(response.json())).toMatch(/beneficiary/);
    });

    it('answers 401 without a token and 403 to a field officer', async () => {
      expect((await app.inject({ method: 'POST', url: '/cases', payload: request })).statusCode).toBe(401);
      const asFieldOfficer = await app.inject({
        method: 'POST',
        url: '/cases',
        headers: await auth('field-officer'),
        payload: request,
      });
      expect(asFieldOfficer.statusCode).toBe(403);
    });

    it('gives concurrent cases of one tenant distinct, consecutive references', async () => {
      const responses = await Promise.all(Array.from({ length: 12 }, () => open()));
      const references = responses.map((r) => r.json().reference as string);
      expect(new Set(references).size).toBe(12);
      const numbers = references.map((r) => Number(r.split('-')[2])).sort((a, b) => a - b);
      const first = numbers[0] ?? 0;
      expect(numbers).toEqual(Array.from({ length: 12 }, (_, i) => first + i));
    });
  });

  describe('GET /cases/{id}', () => {
    it("answers the case with what the caller's role may see to its tenant, and 404 to another tenant's token", async () => {
      const { caseId } = (await open()).json();
      const own = await app.inject({ method: 'GET', url: `/cases/${caseId}`, headers: await auth() });
      expect(own.statusCode).toBe(200);
      // The intake agent takes the application and calls back: names and contact — not the health claims, the
      // birth date or the home address (shared/privacy/disclosure-policy.ts).
      expect(own.json()).toMatchObject({
        caseId,
        status: 'open',
        applicant: { givenNames: 'Erika', familyName: 'Mustermann', birthDate: '[withheld]', address: '[withheld]' },
        requestedServices: ['id-card', 'registration-certificate'],
        mobility: '[withheld]',
      });
      expect(own.headers.etag).toBe('W/"0"');
      expect(own.headers['cache-control']).toBe('no-store');
      const officer = await app.inject({
        method: 'GET',
        url: `/cases/${caseId}`,
        headers: await auth('eligibility-officer'),
      });
      expect(officer.json()).toMatchObject({ mobility: { careLevel: 4 }, applicant: { address: '[withheld]' } });
      const scheduler = await app.inject({ method: 'GET', url: `/cases/${caseId}`, headers: await auth('scheduler') });
      expect(scheduler.json()).toMatchObject({ mobility: '[withheld]', applicant: { address: { city: 'Bochum' } } });
      // An admin reads only under a stated purpose, and only for one an admin may read for.
      expect(
        (await app.inject({ method: 'GET', url: `/cases/${caseId}`, headers: await auth('admin') })).statusCode,
      ).toBe(400);
      const admin = await app.inject({
        method: 'GET',
        url: `/cases/${caseId}?purpose=subject-request&reference=DSB%2017`,
        headers: await auth('admin'),
      });
      expect(admin.json()).toMatchObject({ mobility: { careLevel: 4 }, applicant: { birthDate: '1941-03-12' } });
      // Every read is recorded, one per reader, view and purpose a day.
      const log = await fixture.store.readStream(`caseAccess-${caseId}`);
      expect(log.map((e) => [e.metadata.actor?.role, e.data])).toEqual([
        ['intake-agent', expect.objectContaining({ resource: 'case', purpose: 'case-work' })],
        ['eligibility-officer', expect.objectContaining({ resource: 'case', purpose: 'case-work' })],
        ['scheduler', expect.objectContaining({ resource: 'case', purpose: 'case-work' })],
        ['admin', expect.objectContaining({ resource: 'case', purpose: 'subject-request', reference: 'DSB 17' })],
      ]);
      const other = await app.inject({
        method: 'GET',
        url: `/cases/${caseId}`,
        headers: await auth('intake-agent', 'herne'),
      });
      expect(other.statusCode).toBe(404);
    });
  });

  describe('GET /cases and probable duplicates', () => {
    it('stops linking a case to a probable duplicate whose applicant was erased', async () => {
      const person = { ...request, applicant: { ...request.applicant, familyName: 'Einzigartig', givenNames: 'Ida' } };
      const first = (await open(person)).json();
      const second = (await open(person)).json();
      const shown = async (caseId: string) =>
        (
          await app.inject({
            method: 'GET',
            url: `/cases/${caseId}?purpose=subject-request`,
            headers: await auth('admin'),
          })
        ).json();
      expect((await shown(second.caseId)).possibleDuplicateOf).toEqual([first.caseId]);
      const subjectId = (await shown(first.caseId)).applicant.subjectId;
      // The erasure as casefile records it: intake's case list forgets the first case's duplicate key.
      await fixture.store.append(`privacySubject-${subjectId}`, [
        {
          id: crypto.randomUUID(),
          type: 'SubjectErased',
          data: { subjectId, caseId: first.caseId, ground: 'objection', by: 'admin-1', at: new Date().toISOString() },
          metadata: { tenantId: 'bochum', caseId: first.caseId, actor: { id: 'admin-1', role: 'admin' } },
        },
      ]);
      await expect.poll(async () => (await shown(second.caseId)).possibleDuplicateOf, { timeout: 30_000 }).toEqual([]);
    });

    it('lists the tenant’s cases by status, paginated, without personal data; flags a probable duplicate', async () => {
      const list = async (query: string, tenant = 'bochum') =>
        (
          await app.inject({ method: 'GET', url: `/cases${query}`, headers: await auth('intake-agent', tenant) })
        ).json();
      const before = await list('?status=open&pageSize=1');
      const first = (await open()).json();
      // Same person, name written differently: still the same normalised name and birth date.
      const again = await open({ ...request, applicant: { ...request.applicant, familyName: ' MUSTERMANN ' } });
      expect(again.statusCode).toBe(201);
      const waitForList = async (total: number) => {
        for (let i = 0; i < 100; i++) {
          const page = await list('?status=open&pageSize=1');
          if (page.total >= total) return page;
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        throw new Error('projection did not catch up');
      };
      const page = await waitForList(before.total + 2);
      expect(page.items).toHaveLength(1);
      expect(JSON.stringify(page)).not.toContain('Mustermann');
      expect(await list('?status=open', 'herne')).toMatchObject({ total: 0, items: [] });
      const third = await open();
      const { caseId } = third.json();
      const view = await app.inject({ method: 'GET', url: `/cases/${caseId}`, headers: await auth() });
      expect(view.json().possibleDuplicateOf).toEqual(expect.arrayContaining([first.caseId]));
      const bad = await app.inject({ method: 'GET', url: '/cases?page=0&status=closed', headers: await auth() });
      expect(bad.json().errors.map((e: { field: string }) => e.field)).toEqual(
        expect.arrayContaining(['querystring.page', 'querystring.status']),
      );
    });
  });

  describe('changes with If-Match', () => {
    it('apply at the revision read, refuse a stale one with 412 and a missing one with 428', async () => {
      const { caseId } = (await open()).json();
      const url = `/cases/${caseId}/services`;
      const missing = await app.inject({ method: 'POST', url, headers: await auth(), payload: { add: ['passport'] } });
      expect(missing.statusCode).toBe(428);
      const changed = await app.inject({
        method: 'POST',
        url,
        headers: { ...(await auth()), 'if-match': 'W/"0"' },
        payload: { add: ['passport'], remove: ['registration-certificate'] },
      });
      expect(changed.statusCode).toBe(200);
      expect(changed.headers.etag).toBe('W/"1"');
      expect(changed.json().requestedServices).toEqual(['id-card', 'passport']);
      const stale = await app.inject({
        method: 'POST',
        url: `/cases/${caseId}/withdrawal`,
        headers: { ...(await auth()), 'if-match': 'W/"0"' },
        payload: { reason: 'moved away' },
      });
      expect(stale.statusCode).toBe(412);
      const withdrawn = await app.inject({
        method: 'POST',
        url: `/cases/${caseId}/withdrawal`,
        headers: { ...(await auth()), 'if-match': 'W/"1"' },
        payload: { reason: 'moved away' },
      });
      // The reason may describe health ("verstorben"): the intake agent's case work does not read it back.
      expect(withdrawn.json()).toMatchObject({ status: 'withdrawn', withdrawnReason: '[withheld]' });
      expect(withdrawn.headers['cache-control']).toBe('no-store');
      const afterwards = await app.inject({
        method: 'POST',
        url,
        headers: { ...(await auth()), 'if-match': 'W/"2"' },
        payload: { add: ['passport'] },
      });
      expect(afterwards.statusCode).toBe(409);
      expect(afterwards.json()).toMatchObject({ code: 'case-withdrawn' });
    });
  });

  describe('integration events', () => {
    it('are published on intake.case.v1 by the relay, keyed by case, valid by contract, health data sealed', async () => {
      const { caseId } = (await open()).json();
      await app.inject({
        method: 'POST',
        url: `/cases/${caseId}/withdrawal`,
        headers: { ...(await auth()), 'if-match': 'W/"0"' },
        payload: { reason: 'no longer needed' },
      });
      for (let i = 0; i < 200 && published.filter((m) => m.key === caseId).length < 2; i++) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const mine = published.filter((m) => m.key === caseId).map((m) => fromKafkaRecord(m, intakeCaseContracts));
      expect(mine.map((e) => e.type)).toEqual(['intake.case.opened.v3', 'intake.case.withdrawn.v2']);
      // The withdrawal's reason (free text that may describe health) stays inside the service.
      expect(mine[1]?.data).toEqual({ caseId, withdrawnAt: expect.any(String) });
      expect(JSON.stringify(published.map((m) => m.value.toString()))).not.toContain('no longer needed');
      expect(mine[0]).toMatchObject({ subject: caseId, tenant: 'bochum', source: '/buergerkoffer/intake' });
      expect(mine[0]?.data).toMatchObject({ caseId, requestedServices: ['id-card', 'registration-certificate'] });
      expect(JSON.stringify(published.map((m) => m.value.toString()))).not.toMatch(/Mustermann|"careLevel"/);
      const metrics = (await app.inject({ method: 'GET', url: '/metrics', headers: await auth('admin') })).body;
      expect(metrics).toMatch(/^processor_lag_events\{processor="relay:intake-case"\} 0$/m);
      expect(metrics).toMatch(/^eventstore_head_position [1-9]\d*$/m);
    });
  });

  describe('evidence and contact person', () => {
    it('attach an evidence reference (never the document) and replace the contact person, each at its revision', async () => {
      const { caseId } = (await open()).json();
      const evidence = {
        kind: 'care-level-notice',
        documentReference: 'dms://bochum/2026/4711',
        checksum: `sha256:${'ab'.repeat(32)}`,
      };
      const attached = await app.inject({
        method: 'POST',
        url: `/cases/${caseId}/evidence`,
        headers: { ...(await auth()), 'if-match': 'W/"0"', 'idempotency-key': 'ev-1' },
        payload: evidence,
      });
      expect(attached.statusCode).toBe(200);
      expect(attached.json().evidenceIds).toHaveLength(1);
      const replayed = await app.inject({
        method: 'POST',
        url: `/cases/${caseId}/evidence`,
        headers: { ...(await auth()), 'if-match': 'W/"0"', 'idempotency-key': 'ev-1' },
        payload: evidence,
      });
      expect(replayed.json()).toEqual(attached.json());
      const badChecksum = await app.inject({
        method: 'POST',
        url: `/cases/${caseId}/evidence`,
        headers: { ...(await auth()), 'if-match': 'W/"1"' },
        payload: { ...evidence, checksum: 'md5:123', document: 'base64…' },
      });
      expect(badChecksum.statusCode).toBe(400);
      expect(JSON.stringify(badChecksum.json())).toMatch(/checksum[\s\S]*document|document[\s\S]*checksum/);
      const contact = await app.inject({
        method: 'PUT',
        url: `/cases/${caseId}/contact-person`,
        headers: { ...(await auth()), 'if-match': attached.headers.etag as string },
        payload: { contactPerson: { name: 'Pflegedienst Süd', relation: 'carer', phone: '+49 234 999' } },
      });
      expect(contact.statusCode).toBe(200);
      expect(contact.headers.etag).toBe('W/"2"');
      expect(contact.json().contactPerson).toEqual({
        name: 'Pflegedienst Süd',
        relation: 'carer',
        phone: '+49 234 999',
      });
      const stored = (await sql.query<{ text: string }>('select data::text as text from es_events'))
        .map((r) => r.text)
        .join('');
      expect(stored).not.toContain('Pflegedienst Süd');
    });
  });

  describe('personal data', () => {
    it('never reaches the logs or the stored events in plain text', async () => {
      await open();
      const logs = logLines.join('');
      expect(logs.length).toBeGreaterThan(0);
      for (const secret of ['Mustermann', 'Erika', 'Hauptstraße', '1941-03-12', '+49 234']) {
        expect(logs).not.toContain(secret);
      }
      const stored = (await sql.query<{ text: string }>('select data::text as text from es_events'))
        .map((r) => r.text)
        .join('');
      for (const secret of ['Mustermann', 'Erika', 'Hauptstraße', '1941-03-12', '+49 234']) {
        expect(stored).not.toContain(secret);
      }
    });
  });
});
