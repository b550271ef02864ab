/**
 * A kit: registered with its devices (at least one, each once), its name and home office changed, a device reported
 * faulty and repaired, withdrawn for good. A fault reported of a device already faulty, a repair of one that works and
 * a change to the details it has record nothing, so a field officer's report sent twice is one report. What each
 * status accepts is data (`kitTransitions`), read by `decide` and answered as `allowedActions`. Pure: time and ids
 * come in with the command.
 */
import type { KitDevice } from '@buergerkoffer/shared/contracts';
import { type Decider, transitions } from '@buergerkoffer/shared/event-sourcing';
import type { KitCommand } from './kit.commands.ts';
import {
  DeviceNotOnKit,
  InvalidKitDevices,
  KitAlreadyRegistered,
  KitNotFound,
  KitWithdrawnError,
} from './kit.errors.ts';
import type { KitDeviceState, KitEvent } from './kit.events.ts';

export type KitStatus = 'in-service' | 'withdrawn';

export type KitState =
  | { readonly status: 'none' }
  | {
      readonly status: KitStatus;
      readonly kitId: string;
      readonly name: string;
      readonly homeOffice: string;
      /** Each device of the kit once, in the order registered. */
      readonly devices: readonly KitDeviceState[];
    };

export const toKitStreamName = (kitId: string): string => `kit-${kitId}`;

/** What a kit accepts in each status: `decide` checks it, the view answers it as `allowedActions`. */
export const kitTransitions = transitions<KitState, KitCommand>(
  {
    none: ['RegisterKit'],
    'in-service': ['ChangeKitDetails', 'ReportDeviceFaulty', 'RepairDevice', 'WithdrawKit'],
    withdrawn: [],
  },
  {
    refuse: (state, command) => {
      switch (state.status) {
        case 'none':
          return new KitNotFound(`kit ${command.kitId} not found`);
        case 'in-service':
          return new KitAlreadyRegistered(`kit ${command.kitId} exists`);
        case 'withdrawn':
          return command.type === 'RegisterKit'
            ? new KitAlreadyRegistered(`kit ${command.kitId} exists`)
            : new KitWithdrawnError(`kit ${command.kitId} was withdrawn`);
        default: {
          const unknown: never = state;
          return unknown;
        }
      }
    },
  },
);

/** The device's status on the kit, or undefined when the kit does not have it. */
export const deviceStatusOf = (state: KitState, device: KitDevice) =>
  state.status === 'none' ? undefined : state.devices.find((d) => d.device === device)?.status;

const withDevice = (state: KitState, device: KitDevice, status: KitDeviceState['status']): KitState =>
  state.status === 'none'
    ? state
    : { ...state, devices: state.devices.map((d) => (d.device === device ? { device, status } : d)) };

export const kitDecider: Decider<KitCommand, KitEvent, KitState> = {
  initialState: () => ({ status: 'none' }),

  evolve(state, event) {
    switch (event.type) {
      case 'KitRegistered': {
        const { kitId, name, homeOffice, devices } = event.data;
        return { status: 'in-service', kitId, name, homeOffice, devices };
      }
      case 'KitDetailsChanged':
        return state.status === 'none' ? state : { ...state, name: event.data.name, homeOffice: event.data.homeOffice };
      case 'KitDeviceReportedFaulty':
        return withDevice(state, event.data.device, 'faulty');
      case 'KitDeviceRepaired':
        return withDevice(state, event.data.device, 'ok');
      case 'KitWithdrawn':
        return state.status === 'none' ? state : { ...state, status: 'withdrawn' };
      default: {
        const unknown: never = event;
        return unknown;
      }
    }
  },

  decide(command, state) {
    kitTransitions.check(state, command);
    switch (command.type) {
      case 'RegisterKit': {
        if (command.devices.length === 0) throw new InvalidKitDevices('a kit has at least one device');
        const twice = command.devices.find((d, i) => command.devices.findIndex((o) => o.device === d.device) !== i);
        if (twice) throw new InvalidKitDevices(`${twice.device} is listed twice`);
        const { kitId, name, homeOffice, now } = command;
        return [
          {
            type: 'KitRegistered',
            data: { kitId, name, homeOffice, devices: command.devices.map((d) => ({ ...d })), registeredAt: now },
          },
        ];
      }
      case 'ChangeKitDetails': {
        if (state.status === 'none') throw kitTransitions.refusal(state, command);
        if (state.name === command.name && state.homeOffice === command.homeOffice) return [];
        const { kitId, name, homeOffice, now } = command;
        return [{ type: 'KitDetailsChanged', data: { kitId, name, homeOffice, changedAt: now } }];
      }
      case 'ReportDeviceFaulty': {
        const status = deviceStatusOf(state, command.device);
        if (status === undefined) throw new DeviceNotOnKit(`kit ${command.kitId} has no ${command.device}`);
        if (status === 'faulty') return [];
        const { kitId, device, reportedBy, now } = command;
        return [{ type: 'KitDeviceReportedFaulty', data: { kitId, device, reportedBy, reportedAt: now } }];
      }
      case 'RepairDevice': {
        const status = deviceStatusOf(state, command.device);
        if (status === undefined) throw new DeviceNotOnKit(`kit ${command.kitId} has no ${command.device}`);
        if (status === 'ok') return [];
        const { kitId, device, repairedBy, now } = command;
        return [{ type: 'KitDeviceRepaired', data: { kitId, device, repairedBy, repairedAt: now } }];
      }
      case 'WithdrawKit':
        return [{ type: 'KitWithdrawn', data: { kitId: command.kitId, withdrawnAt: command.now } }];
      default: {
        const unknown: never = command;
        return unknown;
      }
    }
  },
};
