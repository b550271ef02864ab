/**
 * Every write endpoint of the resources is idempotent (style.md 8): the same request with the same Idempotency-Key
 * answers the same and appends nothing more — replayed from the HTTP record, and again once that record is gone,
 * when only the events' ids (and a new resource's id) derived from the key protect it. The last test fails when a
 * write endpoint exists that no check covered.
 */
import { type ApiSpecification, apiSpecification, type TestApp } from '@buergerkoffer/shared/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resourcesApp } from './resources-app.fixture.ts';

const kit = {
  name: 'Koffer 1',
  homeOffice: 'Bürgerbüro Mitte',
  devices: [{ device: 'printer' }, { device: 'camera' }],
};
const staffMember = {
  displayName: 'B. Yilmaz',
  homeOffice: 'Bürgerbüro Mitte',
  workingHours: { tue: [{ from: '08:00', to: '16:00' }] },
};

describe('every write endpoint of the resources is idempotent', () => {
  let fixture: TestApp;
  let spec: ApiSpecification;
  beforeAll(async () => {
    fixture = await resourcesApp();
    spec = apiSpecification(fixture);
  });
  afterAll(async () => fixture.close());

  const newKit = async (): Promise<string> =>
    (await spec.send({ method: 'POST', url: '/kits', role: 'admin', payload: kit })).answer.body.kitId;
  const newStaffMember = async (): Promise<string> =>
    (await spec.send({ method: 'POST', url: '/staff', role: 'admin', payload: staffMember })).answer.body.staffId;
  const ifMatch = (revision: number) => ({ 'if-match': `W/"${revision}"` });

  it('POST /kits (the kit is the one the key names)', async () => {
    const answer = await spec.isIdempotent({ method: 'POST', url: '/kits', role: 'admin', payload: kit });
    expect(answer.status).toBe(201);
    expect((await fixture.store.readStream(`kit-${answer.body.kitId}`)).length).toBe(1);
  });

  it('PUT /kits/{kitId}', async () => {
    const kitId = await newKit();
    await spec.isIdempotent({
      method: 'PUT',
      url: `/kits/${kitId}`,
      role: 'admin',
      headers: ifMatch(0),
      payload: { name: 'Koffer A', homeOffice: 'Bürgerbüro Wattenscheid' },
    });
  });

  it('POST /kits/{kitId}/devices/{device}/fault and …/repair', async () => {
    const kitId = await newKit();
    const fault = await spec.isIdempotent({
      method: 'POST',
      url: `/kits/${kitId}/devices/printer/fault`,
      role: 'field-officer',
    });
    expect(fault.body.devices.printer).toBe('faulty');
    const repair = await spec.isIdempotent({
      method: 'POST',
      url: `/kits/${kitId}/devices/printer/repair`,
      role: 'admin',
      headers: ifMatch(1),
    });
    expect(repair.body.devices.printer).toBe('ok');
  });

  it('POST /kits/{kitId}/withdraw', async () => {
    const kitId = await newKit();
    await spec.isIdempotent({ method: 'POST', url: `/kits/${kitId}/withdraw`, role: 'admin', headers: ifMatch(0) });
  });

  it('POST /staff', async () => {
    await spec.isIdempotent({ method: 'POST', url: '/staff', role: 'admin', payload: staffMember });
  });

  it('PUT /staff/{staffId}/working-hours', async () => {
    const staffId = await newStaffMember();
    await spec.isIdempotent({
      method: 'PUT',
      url: `/staff/${staffId}/working-hours`,
      role: 'admin',
      headers: ifMatch(0),
      payload: { wed: [{ from: '07:30', to: '11:30' }] },
    });
  });

  it('POST /staff/{staffId}/absences and DELETE …/{absenceId} (the absence is the one the key names)', async () => {
    const staffId = await newStaffMember();
    const recorded = await spec.isIdempotent({
      method: 'POST',
      url: `/staff/${staffId}/absences`,
      role: 'scheduler',
      headers: ifMatch(0),
      payload: { from: '2027-01-11', to: '2027-01-15' },
    });
    expect(recorded.body.absences).toHaveLength(1);
    const cancelled = await spec.isIdempotent({
      method: 'DELETE',
      url: `/staff/${staffId}/absences/${recorded.body.absenceId}`,
      role: 'admin',
      headers: ifMatch(1),
    });
    expect(cancelled.body.absences).toEqual([]);
  });

  it('POST /staff/{staffId}/deactivate', async () => {
    const staffId = await newStaffMember();
    await spec.isIdempotent({
      method: 'POST',
      url: `/staff/${staffId}/deactivate`,
      role: 'admin',
      headers: ifMatch(0),
    });
  });

  it('PUT /settings (the first change, at W/"-1")', async () => {
    await spec.isIdempotent({
      method: 'PUT',
      url: '/settings',
      role: 'admin',
      headers: ifMatch(-1),
      payload: {
        holidayRegion: { country: 'DE', state: 'NW' },
        workingDays: ['mon', 'tue', 'wed', 'thu', 'fri'],
        setupMinutes: 30,
        packAwayMinutes: 20,
        travelBufferMinutes: 45,
        slotStepMinutes: 15,
        horizonDays: 42,
      },
    });
  });

  it('… and no write endpoint was left out', () => {
    expect(spec.uncheckedWriteRoutes()).toEqual([]);
  });
});
