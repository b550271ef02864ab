import { DeciderSpecification } from '@buergerkoffer/shared/testing';
import { describe, expect, it } from 'vitest';
import {
  InvalidSchedulingSettings,
  settingsDecider,
  settingsTransitions,
  toSchedulingSettingsStreamName,
} from './settings.decider.ts';
import { DEFAULT_SETTINGS, type SchedulingSettings, type SettingsEvent } from './settings.events.ts';

const spec = DeciderSpecification.for(settingsDecider);
const now = '2026-11-25T10:00:00.000Z';
const berlin: SchedulingSettings = {
  ...DEFAULT_SETTINGS,
  holidayRegion: { country: 'DE', state: 'BE' },
  workingDays: ['mon', 'tue', 'wed', 'thu'],
  closedDates: ['2026-12-24', '2026-12-31'],
  slotStepMinutes: 30,
};
const change = (settings: SchedulingSettings) => ({
  type: 'ChangeSchedulingSettings' as const,
  tenantId: 'bochum',
  settings,
  now,
});
const changed = (settings: SchedulingSettings): SettingsEvent => ({
  type: 'SchedulingSettingsChanged',
  data: { tenantId: 'bochum', ...settings, changedAt: now },
});

describe('a tenant’s scheduling settings', () => {
  it('live in schedulingSettings-<tenantId>', () =>
    expect(toSchedulingSettingsStreamName('bochum')).toBe('schedulingSettings-bochum'));

  describe('never changed', () => {
    it('are the defaults: NW, Monday to Friday, 30/20/30 minutes, a step of 15, 42 days ahead', () => {
      expect(settingsDecider.initialState()).toEqual({ status: 'default', settings: DEFAULT_SETTINGS });
      expect(DEFAULT_SETTINGS).toMatchObject({
        timeZone: 'Europe/Berlin',
        holidayRegion: { country: 'DE', state: 'NW' },
        workingDays: ['mon', 'tue', 'wed', 'thu', 'fri'],
        closedDates: [],
        setupMinutes: 30,
        packAwayMinutes: 20,
        travelBufferMinutes: 30,
        slotStepMinutes: 15,
        horizonDays: 42,
      });
    });
    it('are changed as a whole', () =>
      spec
        .given([])
        .when(change(berlin))
        .then([changed(berlin)]));
    it('record nothing when changed to the defaults', () => spec.given([]).when(change(DEFAULT_SETTINGS)).then([]));
  });

  describe('changed', () => {
    it('are changed again, and are customised', () => {
      spec
        .given([changed(berlin)])
        .when(change(DEFAULT_SETTINGS))
        .then([changed(DEFAULT_SETTINGS)]);
      spec.given([]).when(change(berlin)).thenState({ status: 'customised', settings: berlin });
    });
    it('put working days in the order of the week and closed dates in order, each once', () =>
      spec
        .given([])
        .when(
          change({
            ...berlin,
            workingDays: ['thu', 'mon', 'wed', 'tue'],
            closedDates: ['2026-12-31', '2026-12-24', '2026-12-31'],
          }),
        )
        .then([changed(berlin)]));
    it('record nothing for the same settings, however ordered', () =>
      spec
        .given([changed(berlin)])
        .when(change({ ...berlin, workingDays: ['wed', 'thu', 'tue', 'mon'] }))
        .then([]));
  });

  describe('that cannot be planned with', () => {
    it.each([
      ['a region that is not a Land', { holidayRegion: { country: 'DE' as const, state: 'XX' } }],
      ['no working day', { workingDays: [] }],
      ['a closed date the calendar lacks', { closedDates: ['2026-02-30'] }],
      ['negative setup minutes', { setupMinutes: -1 }],
      ['a pack-away of more than four hours', { packAwayMinutes: 241 }],
      ['a fractional travel buffer', { travelBufferMinutes: 7.5 }],
      ['a step that does not divide the hour', { slotStepMinutes: 25 }],
      ['no horizon', { horizonDays: 0 }],
      ['a horizon of more than a year', { horizonDays: 366 }],
    ])('are refused: %s', (_, wrong) =>
      spec
        .given([])
        .when(change({ ...berlin, ...wrong }))
        .thenThrows(InvalidSchedulingSettings),
    );
  });

  it('can always be changed', () => {
    expect(settingsTransitions.allowed(settingsDecider.initialState())).toEqual(['ChangeSchedulingSettings']);
    expect(settingsTransitions.allowed({ status: 'customised', settings: berlin })).toEqual([
      'ChangeSchedulingSettings',
    ]);
  });
});
