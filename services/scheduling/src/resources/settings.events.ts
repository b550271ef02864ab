/**
 * A tenant's scheduling settings (stream `schedulingSettings-<tenantId>`): the zone its visits are planned in, the
 * region whose public holidays close the office, its working days and the dates it closes besides, the minutes a
 * visit needs to set up and pack away, the travel buffer kept free between two visits of one kit or person, the step
 * of proposed start times and how far ahead visits are planned. Each change records the whole set; a tenant that
 * never changed it plans with DEFAULT_SETTINGS. Nothing personal.
 */
import { eventCodec } from '@buergerkoffer/shared/event-sourcing';
import { z } from 'zod';
import { WEEKDAYS } from '../time/local-time.ts';

/** The 16 Länder as date-holidays names them (ISO 3166-2 without the `DE-`). */
export const GERMAN_STATES = [
  'BB',
  'BE',
  'BW',
  'BY',
  'HB',
  'HE',
  'HH',
  'MV',
  'NI',
  'NW',
  'RP',
  'SH',
  'SL',
  'SN',
  'ST',
  'TH',
] as const;
/** Steps of proposed start times: each divides the hour, so proposals start on the hour too. */
export const SLOT_STEPS = [5, 10, 15, 20, 30, 60] as const;
/** Setup, pack-away and travel buffer: at most four hours each. */
export const MAX_MINUTES = 240;
export const MAX_HORIZON_DAYS = 365;

export const holidayRegion = z.object({ country: z.literal('DE'), state: z.string().min(2).max(3) });

export const schedulingSettingsChanged = z.object({
  type: z.literal('SchedulingSettingsChanged'),
  data: z.object({
    tenantId: z.string().min(1),
    timeZone: z.literal('Europe/Berlin'),
    holidayRegion,
    /** In the order of the week. */
    workingDays: z.array(z.enum(WEEKDAYS)).min(1),
    /** Local dates the office is closed besides public holidays, in order. */
    closedDates: z.array(z.iso.date()),
    setupMinutes: z.number().int().min(0),
    packAwayMinutes: z.number().int().min(0),
    travelBufferMinutes: z.number().int().min(0),
    slotStepMinutes: z.number().int().min(1),
    horizonDays: z.number().int().min(1),
    changedAt: z.iso.datetime(),
  }),
});
export type SchedulingSettingsChanged = z.infer<typeof schedulingSettingsChanged>;
export const settingsEvent = z.discriminatedUnion('type', [schedulingSettingsChanged]);
export type SettingsEvent = z.infer<typeof settingsEvent>;
/** Stored → domain events of the settings (nothing personal in them). */
export const settingsCodec = eventCodec(settingsEvent);

/** The settings themselves: what a change records, without whose and when. */
export type SchedulingSettings = Omit<SchedulingSettingsChanged['data'], 'tenantId' | 'changedAt'>;

/** A tenant's settings until it changes them: North Rhine-Westphalia's holidays (the seed city's), Monday to Friday. */
export const DEFAULT_SETTINGS: SchedulingSettings = {
  timeZone: 'Europe/Berlin',
  holidayRegion: { country: 'DE', state: 'NW' },
  workingDays: ['mon', 'tue', 'wed', 'thu', 'fri'],
  closedDates: [],
  setupMinutes: 30,
  packAwayMinutes: 20,
  travelBufferMinutes: 30,
  slotStepMinutes: 15,
  horizonDays: 42,
};
