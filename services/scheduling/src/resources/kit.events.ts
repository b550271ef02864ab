/**
 * A kit (stream `kit-<kitId>`): the suitcase of devices a visit takes along — notebook, printer, camera, … (the
 * catalogue's KIT_DEVICES). Registered with its devices, its name and home office changed, a device reported faulty
 * and repaired, the kit withdrawn from service. A service can be given only where every device it needs works, so
 * the planner reads each device's status from here. Nothing personal: who reported or repaired a device is a member
 * of staff's id, and a fault carries no free text (a note would invite what does not belong here: whose fault it
 * was, which citizen was being served).
 */
import { KIT_DEVICES } from '@buergerkoffer/shared/contracts';
import { eventCodec } from '@buergerkoffer/shared/event-sourcing';
import { z } from 'zod';

export const kitDevice = z.enum(KIT_DEVICES);
export const deviceStatus = z.enum(['ok', 'faulty']);
export type DeviceStatus = z.infer<typeof deviceStatus>;
export const kitDeviceState = z.object({ device: kitDevice, status: deviceStatus });
export type KitDeviceState = z.infer<typeof kitDeviceState>;

export const kitRegistered = z.object({
  type: z.literal('KitRegistered'),
  data: z.object({
    kitId: z.uuid(),
    name: z.string().min(1).max(200),
    homeOffice: z.string().min(1).max(200),
    /** Each device once, in the order registered; at least one. */
    devices: z.array(kitDeviceState).min(1),
    registeredAt: z.iso.datetime(),
  }),
});
export const kitDetailsChanged = z.object({
  type: z.literal('KitDetailsChanged'),
  data: z.object({
    kitId: z.uuid(),
    name: z.string().min(1).max(200),
    homeOffice: z.string().min(1).max(200),
    changedAt: z.iso.datetime(),
  }),
});
/** No note: the device and who reported it are what the planner and the repair need. */
export const kitDeviceReportedFaulty = z.object({
  type: z.literal('KitDeviceReportedFaulty'),
  data: z.object({ kitId: z.uuid(), device: kitDevice, reportedBy: z.string().min(1), reportedAt: z.iso.datetime() }),
});
export const kitDeviceRepaired = z.object({
  type: z.literal('KitDeviceRepaired'),
  data: z.object({ kitId: z.uuid(), device: kitDevice, repairedBy: z.string().min(1), repairedAt: z.iso.datetime() }),
});
export const kitWithdrawn = z.object({
  type: z.literal('KitWithdrawn'),
  data: z.object({ kitId: z.uuid(), withdrawnAt: z.iso.datetime() }),
});

export const kitEvent = z.discriminatedUnion('type', [
  kitRegistered,
  kitDetailsChanged,
  kitDeviceReportedFaulty,
  kitDeviceRepaired,
  kitWithdrawn,
]);
export type KitEvent = z.infer<typeof kitEvent>;
/** Stored → domain events of the kit (nothing personal in them). */
export const kitCodec = eventCodec(kitEvent);
