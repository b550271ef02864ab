/**
 * The resources over HTTP, on the embedded store with the slice's projections running: kits, field staff and the
 * tenant's settings — created (201, Location, ETag), read only by their tenant, changed only with a current If-Match
 * (428 without, 412 when stale), refused to the wrong roles and for invalid input (400 naming the field). The lists
 * are read models: the tests wait for them by polling, never by sleeping.
 */
import {
  type ApiRequest,
  type ApiSpecification,
  apiSpecification,
  pollUntil,
  type TestApp,
} from '@buergerkoffer/shared/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resourcesApp } from './resources-app.fixture.ts';

const kit = {
  name: 'Koffer 1',
  homeOffice: 'Bürgerbüro Mitte',
  devices: [{ device: 'notebook' }, { device: 'printer' }, { device: 'camera', status: 'faulty' }],
};
const week = {
  mon: [
    { from: '08:00', to: '12:00' },
    { from: '12:30', to: '16:00' },
  ],
  thu: [{ from: '09:00', to: '15:00' }],
};
const staffMember = { displayName: 'A. Schmidt', homeOffice: 'Bürgerbüro Mitte', workingHours: week };
const settings = {
  holidayRegion: { country: 'DE', state: 'BE' },
  workingDays: ['mon', 'tue', 'wed', 'thu'],
  closedDates: ['2026-12-24'],
  setupMinutes: 25,
  packAwayMinutes: 15,
  travelBufferMinutes: 40,
  slotStepMinutes: 30,
  horizonDays: 56,
};

describe('the resources over HTTP', () => {
  let fixture: TestApp;
  let spec: ApiSpecification;
  beforeAll(async () => {
    fixture = await resourcesApp();
    spec = apiSpecification(fixture);
  });
  afterAll(async () => fixture.close());

  const send = async (request: ApiRequest) => (await spec.send(request)).answer;
  const registerKit = (tenantId = 'bochum') =>
    send({ method: 'POST', url: '/kits', role: 'admin', tenantId, payload: kit });
  /** 400, problem+json, naming `field`; nothing appended. */
  const refuses = async (request: ApiRequest, field: string) => {
    const { answer } = await spec
      .given()
      .when(request)
      .expect({ status: 400, body: { code: 'validation' }, events: [] });
    expect(answer.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(answer.body.errors.map((e: { field: string }) => e.field)).toContain(field);
  };

  describe('a kit', () => {
    it('is registered (201, Location, ETag) with its devices, and shown to its tenant only', async () => {
      const { answer, events } = await spec
        .given()
        .when({ method: 'POST', url: '/kits', role: 'admin', payload: kit })
        .expect({
          status: 201,
          body: { status: 'in-service', devices: { notebook: 'ok', printer: 'ok', camera: 'faulty' } },
          events: [{ type: 'KitRegistered', data: { name: 'Koffer 1' } }],
        });
      const { kitId } = answer.body;
      expect(events[0]?.stream).toBe(`kit-${kitId}`);
      expect(answer.headers.location).toBe(`/kits/${kitId}`);
      expect(answer.headers.etag).toBe('W/"0"');
      expect(answer.body.allowedActions).toContain('ReportDeviceFaulty');
      const own = await send({ method: 'GET', url: `/kits/${kitId}`, role: 'field-officer' });
      expect(own).toMatchObject({ status: 200, headers: { etag: 'W/"0"' }, body: { kitId, name: 'Koffer 1' } });
      for (const request of [
        { method: 'GET', url: `/kits/${kitId}` },
        {
          method: 'PUT',
          url: `/kits/${kitId}`,
          headers: { 'if-match': 'W/"0"' },
          payload: { name: 'X', homeOffice: 'Y' },
        },
        { method: 'POST', url: `/kits/${kitId}/devices/printer/fault` },
      ] as const) {
        expect((await send({ ...request, role: 'admin', tenantId: 'herne' })).status, request.url).toBe(404);
      }
    });

    it('answers a repeat with the same Idempotency-Key as the first time, and registers no second kit', async () => {
      const request: ApiRequest = {
        method: 'POST',
        url: '/kits',
        role: 'admin',
        headers: { 'idempotency-key': 'kit-once' },
        payload: kit,
      };
      const first = await spec.send(request);
      expect(first.events).toHaveLength(1);
      const again = await spec.send(request);
      expect(again.answer.body).toEqual(first.answer.body);
      expect(again.answer.headers['idempotent-replayed']).toBe('true');
      expect(again.events).toEqual([]);
      // Another payload under the same key is a conflict, not a second kit.
      const other = await send({ ...request, payload: { ...kit, name: 'Koffer 2' } });
      expect(other.status).toBe(409);
    });

    it('changes its details only with a current If-Match: 428 without, 412 when stale', async () => {
      const { kitId } = (await registerKit()).body;
      const put = (headers: Record<string, string>) =>
        send({
          method: 'PUT',
          url: `/kits/${kitId}`,
          role: 'admin',
          headers,
          payload: { name: 'Koffer A', homeOffice: 'Wattenscheid' },
        });
      expect((await put({})).status).toBe(428);
      const stale = await put({ 'if-match': 'W/"3"' });
      expect(stale).toMatchObject({ status: 412, body: { code: 'version-conflict', currentRevision: 0 } });
      const changed = await put({ 'if-match': 'W/"0"' });
      expect(changed).toMatchObject({ status: 200, headers: { etag: 'W/"1"' }, body: { name: 'Koffer A' } });
      const withdrawn = await send({
        method: 'POST',
        url: `/kits/${kitId}/withdraw`,
        role: 'admin',
        headers: { 'if-match': 'W/"1"' },
      });
      expect(withdrawn.body).toMatchObject({ status: 'withdrawn', allowedActions: [] });
      const again = await send({
        method: 'POST',
        url: `/kits/${kitId}/withdraw`,
        role: 'admin',
        headers: { 'if-match': 'W/"2"' },
      });
      expect(again).toMatchObject({ status: 409, body: { code: 'kit-withdrawn' } });
    });

    it('shows a device reported faulty from the field as faulty, in the kit and in the list', async () => {
      const { kitId } = (await registerKit()).body;
      const fault = await send({ method: 'POST', url: `/kits/${kitId}/devices/printer/fault`, role: 'field-officer' });
      expect(fault).toMatchObject({
        status: 200,
        headers: { etag: 'W/"1"' },
        body: { devices: { printer: 'faulty' } },
      });
      const repeated = await spec.send({
        method: 'POST',
        url: `/kits/${kitId}/devices/printer/fault`,
        role: 'scheduler',
      });
      expect(repeated.events).toEqual([]);
      const read = await send({ method: 'GET', url: `/kits/${kitId}`, role: 'scheduler' });
      expect(read.body.devices).toEqual({ notebook: 'ok', printer: 'faulty', camera: 'faulty' });
      const listed = await pollUntil(
        async () =>
          (await send({ method: 'GET', url: '/kits', role: 'auditor' })).body.items.find(
            (k: { kitId: string }) => k.kitId === kitId,
          ),
        (item) => item?.devices?.printer === 'faulty',
        10_000,
        'the kit list to show the printer faulty',
      );
      expect(listed).toMatchObject({ name: 'Koffer 1', status: 'in-service', revision: 1 });
      const repaired = await send({
        method: 'POST',
        url: `/kits/${kitId}/devices/camera/repair`,
        role: 'admin',
        headers: { 'if-match': 'W/"1"' },
      });
      expect(repaired.body.devices).toMatchObject({ camera: 'ok', printer: 'faulty' });
      const stale = await send({
        method: 'POST',
        url: `/kits/${kitId}/devices/printer/repair`,
        role: 'admin',
        headers: { 'if-match': 'W/"0"' },
      });
      expect(stale.status).toBe(412);
    });

    it('refuses a report of a device the kit lacks (400 with its code) or off the catalogue (400 naming it)', async () => {
      const { kitId } = (await registerKit()).body;
      const lacks = await send({ method: 'POST', url: `/kits/${kitId}/devices/scanner/fault`, role: 'field-officer' });
      expect(lacks).toMatchObject({ status: 400, body: { code: 'device-not-on-kit' } });
      await refuses(
        { method: 'POST', url: `/kits/${kitId}/devices/toaster/fault`, role: 'field-officer' },
        'params.device',
      );
    });

    it('refuses invalid kits, naming the field', async () => {
      const post = (payload: object): ApiRequest => ({
        method: 'POST',
        url: '/kits',
        role: 'admin',
        payload: { ...kit, ...payload },
      });
      await refuses(post({ devices: [{ device: 'printer' }, { device: 'printer' }] }), 'body.devices.1.device');
      await refuses(post({ devices: [] }), 'body.devices');
      await refuses(post({ name: '  ' }), 'body.name');
      await refuses(post({ devices: [{ device: 'printer', note: 'dropped by …' }] }), 'body.devices.0');
    });

    it('is registered and changed by admins only, and read by staff who plan and work visits', async () => {
      expect((await send({ method: 'POST', url: '/kits', role: 'scheduler', payload: kit })).status).toBe(403);
      expect((await send({ method: 'GET', url: '/kits', role: 'intake-agent' })).status).toBe(403);
      const { kitId } = (await registerKit()).body;
      const put = {
        method: 'PUT',
        url: `/kits/${kitId}`,
        headers: { 'if-match': 'W/"0"' },
        payload: { name: 'K', homeOffice: 'O' },
      } as const;
      expect((await send({ ...put, role: 'field-officer' })).status).toBe(403);
      expect(
        (await send({ method: 'POST', url: `/kits/${kitId}/devices/printer/fault`, role: 'auditor' })).status,
      ).toBe(403);
    });
  });

  describe('a member of the field staff', () => {
    it('is registered with their week, away during an absence, and listed with it', async () => {
      const created = await send({ method: 'POST', url: '/staff', role: 'admin', payload: staffMember });
      expect(created).toMatchObject({
        status: 201,
        headers: { etag: 'W/"0"' },
        body: { active: true, workingHours: week },
      });
      const { staffId } = created.body;
      expect(created.headers.location).toBe(`/staff/${staffId}`);
      const absence = await send({
        method: 'POST',
        url: `/staff/${staffId}/absences`,
        role: 'scheduler',
        headers: { 'if-match': 'W/"0"' },
        payload: { from: '2026-12-01', to: '2026-12-04' },
      });
      expect(absence.status).toBe(201);
      const { absenceId } = absence.body;
      expect(absence.headers.location).toBe(`/staff/${staffId}/absences/${absenceId}`);
      expect(absence.body.absences).toEqual([{ absenceId, from: '2026-12-01', to: '2026-12-04' }]);
      await pollUntil(
        async () =>
          (await send({ method: 'GET', url: '/staff', role: 'field-officer' })).body.items.find(
            (s: { staffId: string }) => s.staffId === staffId,
          ),
        (item) => item?.absences?.length === 1,
        10_000,
        'the staff list to show the absence',
      );
      const cancelled = await send({
        method: 'DELETE',
        url: `/staff/${staffId}/absences/${absenceId}`,
        role: 'admin',
        headers: { 'if-match': 'W/"1"' },
      });
      expect(cancelled).toMatchObject({ status: 200, headers: { etag: 'W/"2"' }, body: { absences: [] } });
      const deactivated = await send({
        method: 'POST',
        url: `/staff/${staffId}/deactivate`,
        role: 'admin',
        headers: { 'if-match': 'W/"2"' },
      });
      expect(deactivated.body).toMatchObject({ active: false, allowedActions: [] });
      const listed = await pollUntil(
        async () =>
          (await send({ method: 'GET', url: '/staff', role: 'auditor' })).body.items.find(
            (s: { staffId: string }) => s.staffId === staffId,
          ),
        (item) => item?.active === false,
        10_000,
        'the staff list to show the member of staff deactivated',
      );
      expect(listed).toMatchObject({ displayName: 'A. Schmidt', absences: [], revision: 3 });
      expect(
        (await send({ method: 'GET', url: `/staff/${staffId}`, role: 'scheduler', tenantId: 'herne' })).status,
      ).toBe(404);
    });

    it('refuses an invalid week or absence, naming the field, and changes need If-Match', async () => {
      const overlapping = {
        mon: [
          { from: '08:00', to: '12:00' },
          { from: '11:00', to: '13:00' },
        ],
      };
      await refuses(
        { method: 'POST', url: '/staff', role: 'admin', payload: { ...staffMember, workingHours: overlapping } },
        'body.workingHours.mon.1',
      );
      await refuses(
        { method: 'POST', url: '/staff', role: 'admin', payload: { ...staffMember, workingHours: { someday: [] } } },
        'body.workingHours',
      );
      const { staffId } = (await send({ method: 'POST', url: '/staff', role: 'admin', payload: staffMember })).body;
      const absence = (payload: object, headers: Record<string, string> = { 'if-match': 'W/"0"' }): ApiRequest => ({
        method: 'POST',
        url: `/staff/${staffId}/absences`,
        role: 'admin',
        headers,
        payload,
      });
      await refuses(absence({ from: '2026-12-04', to: '2026-12-01' }), 'body.to');
      await refuses(absence({ from: '2026-12-01', to: '2026-12-02', reason: 'krank' }), 'body');
      expect((await send(absence({ from: '2026-12-01', to: '2026-12-02' }, {}))).status).toBe(428);
      const hours = { method: 'PUT', url: `/staff/${staffId}/working-hours`, payload: week } as const;
      expect((await send({ ...hours, role: 'admin' })).status).toBe(428);
      expect((await send({ ...hours, role: 'scheduler', headers: { 'if-match': 'W/"0"' } })).status).toBe(403);
    });
  });

  describe('the tenant’s settings', () => {
    it('are the defaults until changed (W/"-1"), then changed with If-Match, and only by admins', async () => {
      const initial = await send({ method: 'GET', url: '/settings', role: 'scheduler', tenantId: 'witten' });
      expect(initial).toMatchObject({
        status: 200,
        headers: { etag: 'W/"-1"' },
        body: { status: 'default', horizonDays: 42 },
      });
      const put = (
        role: 'admin' | 'scheduler',
        headers: Record<string, string>,
        payload: object = settings,
      ): ApiRequest => ({
        method: 'PUT',
        url: '/settings',
        role,
        tenantId: 'witten',
        headers,
        payload,
      });
      expect((await send(put('admin', {}))).status).toBe(428);
      expect((await send(put('scheduler', { 'if-match': 'W/"-1"' }))).status).toBe(403);
      await refuses(
        put('admin', { 'if-match': 'W/"-1"' }, { ...settings, slotStepMinutes: 25 }),
        'body.slotStepMinutes',
      );
      await refuses(
        put('admin', { 'if-match': 'W/"-1"' }, { ...settings, holidayRegion: { country: 'DE', state: 'XX' } }),
        'body.holidayRegion.state',
      );
      const changed = await send(put('admin', { 'if-match': 'W/"-1"' }));
      expect(changed).toMatchObject({
        status: 200,
        headers: { etag: 'W/"0"' },
        body: { status: 'customised', ...settings },
      });
      expect((await send(put('admin', { 'if-match': 'W/"-1"' }))).status).toBe(412);
      const other = await send({ method: 'GET', url: '/settings', role: 'admin' });
      expect(other.body).toMatchObject({ status: 'default', holidayRegion: { state: 'NW' } });
    });
  });

  it('describes its routes in the OpenAPI document', async () => {
    const docs = await fixture.app.inject({ method: 'GET', url: '/docs/json' });
    expect(docs.statusCode).toBe(200);
    const { paths } = docs.json();
    expect(Object.keys(paths)).toEqual(
      expect.arrayContaining([
        '/kits',
        '/kits/{kitId}/devices/{device}/fault',
        '/staff/{staffId}/absences/{absenceId}',
        '/settings',
      ]),
    );
    const ids = Object.values(paths).flatMap((ops) =>
      Object.values(ops as Record<string, { operationId: string }>).map((op) => op.operationId),
    );
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.every((id) => id.startsWith('scheduling'))).toBe(true);
  });
});
