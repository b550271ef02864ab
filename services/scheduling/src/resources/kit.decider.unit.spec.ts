import { DeciderSpecification } from '@buergerkoffer/shared/testing';
import { describe, expect, it } from 'vitest';
import type { KitCommand } from './kit.commands.ts';
import { kitDecider, kitTransitions, toKitStreamName } from './kit.decider.ts';
import {
  DeviceNotOnKit,
  InvalidKitDevices,
  KitAlreadyRegistered,
  KitNotFound,
  KitWithdrawnError,
} from './kit.errors.ts';
import type { KitEvent } from './kit.events.ts';

const spec = DeciderSpecification.for(kitDecider);
const kitId = '0192f0c4-7c1a-7000-8000-00000000c001';
const now = '2026-11-25T10:00:00.000Z';
const later = '2026-11-26T08:30:00.000Z';
const devices = [
  { device: 'notebook', status: 'ok' },
  { device: 'printer', status: 'ok' },
  { device: 'camera', status: 'faulty' },
] as const;

const register: KitCommand = {
  type: 'RegisterKit',
  kitId,
  name: 'Koffer 1',
  homeOffice: 'Bürgerbüro Mitte',
  devices,
  now,
};
const registered: KitEvent = {
  type: 'KitRegistered',
  data: {
    kitId,
    name: 'Koffer 1',
    homeOffice: 'Bürgerbüro Mitte',
    devices: devices.map((d) => ({ ...d })),
    registeredAt: now,
  },
};
const report = (device: 'printer' | 'camera' | 'scanner'): KitCommand => ({
  type: 'ReportDeviceFaulty',
  kitId,
  device,
  reportedBy: 'field-officer-1',
  now: later,
});
const repair = (device: 'printer' | 'camera' | 'scanner'): KitCommand => ({
  type: 'RepairDevice',
  kitId,
  device,
  repairedBy: 'admin-1',
  now: later,
});
const printerFaulty: KitEvent = {
  type: 'KitDeviceReportedFaulty',
  data: { kitId, device: 'printer', reportedBy: 'field-officer-1', reportedAt: later },
};
const change = (name: string, homeOffice: string): KitCommand => ({
  type: 'ChangeKitDetails',
  kitId,
  name,
  homeOffice,
  now: later,
});
const withdraw: KitCommand = { type: 'WithdrawKit', kitId, now: later };
const withdrawn: KitEvent = { type: 'KitWithdrawn', data: { kitId, withdrawnAt: later } };

describe('a kit', () => {
  it('lives in kit-<kitId>', () => expect(toKitStreamName(kitId)).toBe(`kit-${kitId}`));

  describe('not yet registered', () => {
    it('is registered with its devices and their status', () => spec.given([]).when(register).then([registered]));
    it('needs at least one device', () =>
      spec
        .given([])
        .when({ ...register, devices: [] })
        .thenThrows(InvalidKitDevices));
    it('has each device once', () =>
      spec
        .given([])
        .when({ ...register, devices: [...devices, { device: 'printer', status: 'faulty' }] })
        .thenThrows(InvalidKitDevices, /printer is listed twice/));
    it('takes no other command', () => {
      for (const command of [report('printer'), repair('printer'), change('K', 'O'), withdraw]) {
        spec.given([]).when(command).thenThrows(KitNotFound);
      }
    });
  });

  describe('in service', () => {
    it('is not registered twice', () => spec.given([registered]).when(register).thenThrows(KitAlreadyRegistered));
    it('changes its name and home office', () =>
      spec
        .given([registered])
        .when(change('Koffer A', 'Bürgerbüro Wattenscheid'))
        .then([
          {
            type: 'KitDetailsChanged',
            data: { kitId, name: 'Koffer A', homeOffice: 'Bürgerbüro Wattenscheid', changedAt: later },
          },
        ]));
    it('records nothing for the details it has', () =>
      spec.given([registered]).when(change('Koffer 1', 'Bürgerbüro Mitte')).then([]));
    it('records a working device reported faulty, by whom', () =>
      spec.given([registered]).when(report('printer')).then([printerFaulty]));
    it('records nothing for a device reported faulty again', () => {
      spec.given([registered, printerFaulty]).when(report('printer')).then([]);
      spec.given([registered]).when(report('camera')).then([]);
    });
    it('refuses a report of a device it does not have', () =>
      spec
        .given([registered])
        .when(report('scanner'))
        .thenThrows(DeviceNotOnKit, /no scanner/));
    it('records a faulty device repaired, and the device works again', () => {
      spec
        .given([registered, printerFaulty])
        .when(repair('printer'))
        .then([
          { type: 'KitDeviceRepaired', data: { kitId, device: 'printer', repairedBy: 'admin-1', repairedAt: later } },
        ]);
      spec
        .given([registered])
        .when(repair('camera'))
        .thenState((state) => {
          expect(state.status === 'none' ? [] : state.devices).toContainEqual({ device: 'camera', status: 'ok' });
        });
    });
    it('records nothing for a repair of a working device', () =>
      spec.given([registered]).when(repair('printer')).then([]));
    it('refuses a repair of a device it does not have', () =>
      spec.given([registered]).when(repair('scanner')).thenThrows(DeviceNotOnKit));
    it('is withdrawn', () => spec.given([registered]).when(withdraw).then([withdrawn]));
  });

  describe('withdrawn', () => {
    it('takes nothing more', () => {
      for (const command of [report('printer'), repair('camera'), change('K', 'O'), withdraw]) {
        spec.given([registered, withdrawn]).when(command).thenThrows(KitWithdrawnError);
      }
      spec.given([registered, withdrawn]).when(register).thenThrows(KitAlreadyRegistered);
    });
  });

  it('offers the actions its status accepts', () => {
    const state = (events: KitEvent[]) => events.reduce(kitDecider.evolve, kitDecider.initialState());
    expect(kitTransitions.allowed(state([]))).toEqual(['RegisterKit']);
    expect(kitTransitions.allowed(state([registered]))).toEqual([
      'ChangeKitDetails',
      'ReportDeviceFaulty',
      'RepairDevice',
      'WithdrawKit',
    ]);
    expect(kitTransitions.allowed(state([registered, withdrawn]))).toEqual([]);
  });
});
