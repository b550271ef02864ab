/**
 * A tenant's scheduling settings: each change records the whole set, put in order (working days in the order of the
 * week, closed dates sorted, each once) so that the same settings sent again record nothing. Until the first change
 * the tenant plans with DEFAULT_SETTINGS (status `default`). The region must be a Land, the step divide the hour,
 * the minutes and the horizon stay within their bounds. Pure: the caller passes the time.
 */
import { type Decider, DomainError, transitions } from '@buergerkoffer/shared/event-sourcing';
import { isLocalDate, WEEKDAYS } from '../time/local-time.ts';
import {
  DEFAULT_SETTINGS,
  GERMAN_STATES,
  MAX_HORIZON_DAYS,
  MAX_MINUTES,
  type SchedulingSettings,
  type SettingsEvent,
  SLOT_STEPS,
} from './settings.events.ts';

export type SettingsCommand = {
  readonly type: 'ChangeSchedulingSettings';
  readonly tenantId: string;
  readonly settings: SchedulingSettings;
  readonly now: string;
};

export type SettingsState = { readonly status: 'default' | 'customised'; readonly settings: SchedulingSettings };

/** Settings that cannot be planned with (the request's schema names the field; this holds whatever the caller). */
export class InvalidSchedulingSettings extends DomainError {
  readonly code = 'invalid-scheduling-settings';
  readonly kind = 'validation' as const;
}

export const toSchedulingSettingsStreamName = (tenantId: string): string =>
  `schedulingSettings-${tenantId.replace(/[^A-Za-z0-9._:@-]/g, '_')}`;

/** Settings can always be changed: the table is there for `allowedActions`, like every slice's. */
export const settingsTransitions = transitions<SettingsState, SettingsCommand>(
  { default: ['ChangeSchedulingSettings'], customised: ['ChangeSchedulingSettings'] },
  { refuse: () => new InvalidSchedulingSettings('the settings accept no such command') },
);

/** The settings in order, or the first reason they cannot be planned with. */
function canonical(settings: SchedulingSettings): SchedulingSettings {
  const refuse = (why: string) => {
    throw new InvalidSchedulingSettings(why);
  };
  if (!GERMAN_STATES.some((state) => state === settings.holidayRegion.state)) {
    refuse(`${settings.holidayRegion.state} is not a German Land`);
  }
  const workingDays = WEEKDAYS.filter((day) => settings.workingDays.includes(day));
  if (workingDays.length === 0) refuse('at least one working day');
  const invalid = settings.closedDates.find((date) => !isLocalDate(date));
  if (invalid !== undefined) refuse(`${invalid} is not a date`);
  for (const field of ['setupMinutes', 'packAwayMinutes', 'travelBufferMinutes'] as const) {
    const minutes = settings[field];
    if (!Number.isInteger(minutes) || minutes < 0 || minutes > MAX_MINUTES) refuse(`${field}: 0 to ${MAX_MINUTES}`);
  }
  if (!SLOT_STEPS.some((step) => step === settings.slotStepMinutes)) {
    refuse(`slotStepMinutes: one of ${SLOT_STEPS.join(', ')}`);
  }
  const { horizonDays } = settings;
  if (!Number.isInteger(horizonDays) || horizonDays < 1 || horizonDays > MAX_HORIZON_DAYS) {
    refuse(`horizonDays: 1 to ${MAX_HORIZON_DAYS}`);
  }
  return {
    timeZone: settings.timeZone,
    holidayRegion: { country: settings.holidayRegion.country, state: settings.holidayRegion.state },
    workingDays,
    closedDates: [...new Set(settings.closedDates)].sort(),
    setupMinutes: settings.setupMinutes,
    packAwayMinutes: settings.packAwayMinutes,
    travelBufferMinutes: settings.travelBufferMinutes,
    slotStepMinutes: settings.slotStepMinutes,
    horizonDays,
  };
}

const same = (a: SchedulingSettings, b: SchedulingSettings): boolean => JSON.stringify(a) === JSON.stringify(b);

export const settingsDecider: Decider<SettingsCommand, SettingsEvent, SettingsState> = {
  initialState: () => ({ status: 'default', settings: DEFAULT_SETTINGS }),

  evolve(_state, event) {
    switch (event.type) {
      case 'SchedulingSettingsChanged': {
        const { tenantId: _tenantId, changedAt: _changedAt, ...settings } = event.data;
        return { status: 'customised', settings };
      }
      default: {
        const unknown: never = event.type;
        return unknown;
      }
    }
  },

  decide(command, state) {
    settingsTransitions.check(state, command);
    switch (command.type) {
      case 'ChangeSchedulingSettings': {
        const settings = canonical(command.settings);
        if (same(settings, canonical(state.settings))) return [];
        return [
          {
            type: 'SchedulingSettingsChanged',
            data: { tenantId: command.tenantId, ...settings, changedAt: command.now },
          },
        ];
      }
      default: {
        const unknown: never = command.type;
        return unknown;
      }
    }
  },
};
