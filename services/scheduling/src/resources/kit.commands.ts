import type { KitDevice } from '@buergerkoffer/shared/contracts';
import type { KitDeviceState } from './kit.events.ts';

export type KitCommand =
  | {
      readonly type: 'RegisterKit';
      readonly kitId: string;
      readonly name: string;
      readonly homeOffice: string;
      readonly devices: readonly KitDeviceState[];
      readonly now: string;
    }
  | {
      readonly type: 'ChangeKitDetails';
      readonly kitId: string;
      readonly name: string;
      readonly homeOffice: string;
      readonly now: string;
    }
  | {
      readonly type: 'ReportDeviceFaulty';
      readonly kitId: string;
      readonly device: KitDevice;
      readonly reportedBy: string;
      readonly now: string;
    }
  | {
      readonly type: 'RepairDevice';
      readonly kitId: string;
      readonly device: KitDevice;
      readonly repairedBy: string;
      readonly now: string;
    }
  | { readonly type: 'WithdrawKit'; readonly kitId: string; readonly now: string };
