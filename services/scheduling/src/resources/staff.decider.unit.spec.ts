import { DeciderSpecification } from '@buergerkoffer/shared/testing';
import { describe, expect, it } from 'vitest';
import type { StaffCommand } from './staff.commands.ts';
import { isAbsentOn, staffDecider, staffTransitions, toStaffStreamName } from './staff.decider.ts';
import {
  AbsenceIdTaken,
  AbsenceNotFound,
  InvalidAbsence,
  InvalidWorkingHours,
  StaffMemberAlreadyRegistered,
  StaffMemberInactive,
  StaffMemberNotFound,
} from './staff.errors.ts';
import type { StaffEvent } from './staff.events.ts';
import type { WorkingHours } from './working-hours.ts';
import { workingHoursIssues } from './working-hours.ts';

const spec = DeciderSpecification.for(staffDecider);
const staffId = '0192f0c4-7c1a-7000-8000-00000000d001';
const absenceId = '0192f0c4-7c1a-7000-8000-00000000a001';
const now = '2026-11-25T10:00:00.000Z';
const later = '2026-11-26T08:30:00.000Z';
const week: WorkingHours = {
  mon: [
    { from: '08:00', to: '12:00' },
    { from: '12:30', to: '16:00' },
  ],
  wed: [{ from: '08:00', to: '14:00' }],
};

const register: StaffCommand = {
  type: 'RegisterStaffMember',
  staffId,
  displayName: 'A. Schmidt',
  homeOffice: 'Bürgerbüro Mitte',
  workingHours: { ...week, tue: [] },
  now,
};
const registered: StaffEvent = {
  type: 'StaffMemberRegistered',
  data: {
    staffId,
    displayName: 'A. Schmidt',
    homeOffice: 'Bürgerbüro Mitte',
    // Days off are left out, the days in the order of the week.
    workingHours: { mon: [...(week.mon ?? [])], wed: [...(week.wed ?? [])] },
    registeredAt: now,
  },
};
const changeHours = (workingHours: WorkingHours): StaffCommand => ({
  type: 'ChangeWorkingHours',
  staffId,
  workingHours,
  now: later,
});
const recordAbsence = (from: string, to: string, id = absenceId): StaffCommand => ({
  type: 'RecordAbsence',
  staffId,
  absenceId: id,
  from,
  to,
  now: later,
});
const absent: StaffEvent = {
  type: 'AbsenceRecorded',
  data: { staffId, absenceId, from: '2026-12-01', to: '2026-12-04', recordedAt: later },
};
const cancel: StaffCommand = { type: 'CancelAbsence', staffId, absenceId, now: later };
const cancelled: StaffEvent = { type: 'AbsenceCancelled', data: { staffId, absenceId, cancelledAt: later } };
const deactivate: StaffCommand = { type: 'DeactivateStaffMember', staffId, now: later };
const deactivated: StaffEvent = { type: 'StaffMemberDeactivated', data: { staffId, deactivatedAt: later } };

describe('a member of the field staff', () => {
  it('lives in staffMember-<staffId>', () => expect(toStaffStreamName(staffId)).toBe(`staffMember-${staffId}`));

  describe('not yet registered', () => {
    it('is registered with their working week', () => spec.given([]).when(register).then([registered]));
    it.each([
      ['an interval that ends before it starts', { fri: [{ from: '12:00', to: '08:00' }] }, /fri #1/],
      ['an interval of no length', { fri: [{ from: '08:00', to: '08:00' }] }, /fri #1/],
      [
        'overlapping intervals',
        {
          thu: [
            { from: '08:00', to: '12:00' },
            { from: '11:00', to: '15:00' },
          ],
        },
        /thu #2/,
      ],
      [
        'intervals out of order',
        {
          thu: [
            { from: '13:00', to: '15:00' },
            { from: '08:00', to: '12:00' },
          ],
        },
        /thu #2/,
      ],
      ['a time that is not HH:mm', { mon: [{ from: '8:00', to: '25:00' }] }, /mon #1/],
    ])('refuses %s', (_, workingHours, message) =>
      spec
        .given([])
        .when({ ...register, workingHours })
        .thenThrows(InvalidWorkingHours, message),
    );
    it('takes intervals that touch', () =>
      expect(
        workingHoursIssues({
          mon: [
            { from: '08:00', to: '12:00' },
            { from: '12:00', to: '16:00' },
          ],
        }),
      ).toEqual([]));
    it('takes no other command', () => {
      for (const command of [changeHours(week), recordAbsence('2026-12-01', '2026-12-01'), cancel, deactivate]) {
        spec.given([]).when(command).thenThrows(StaffMemberNotFound);
      }
    });
  });

  describe('active', () => {
    it('is not registered twice', () =>
      spec.given([registered]).when(register).thenThrows(StaffMemberAlreadyRegistered));
    it('changes their working week', () =>
      spec
        .given([registered])
        .when(changeHours({ fri: [{ from: '09:00', to: '13:00' }] }))
        .then([
          {
            type: 'WorkingHoursChanged',
            data: { staffId, workingHours: { fri: [{ from: '09:00', to: '13:00' }] }, changedAt: later },
          },
        ]));
    it('records nothing for the week they have (days off written or not)', () =>
      spec
        .given([registered])
        .when(changeHours({ ...week, sun: [] }))
        .then([]));
    it('refuses an invalid week', () =>
      spec
        .given([registered])
        .when(changeHours({ mon: [{ from: '16:00', to: '08:00' }] }))
        .thenThrows(InvalidWorkingHours));
    it('records an absence from a date to a date, and is away on both', () => {
      spec.given([registered]).when(recordAbsence('2026-12-01', '2026-12-04')).then([absent]);
      spec
        .given([registered])
        .when(recordAbsence('2026-12-01', '2026-12-04'))
        .thenState((state) => {
          expect(['2026-12-01', '2026-12-04'].map((date) => isAbsentOn(state, date))).toEqual([true, true]);
          expect(['2026-11-30', '2026-12-05'].map((date) => isAbsentOn(state, date))).toEqual([false, false]);
        });
    });
    it('records a one-day absence', () =>
      spec
        .given([registered])
        .when(recordAbsence('2026-12-01', '2026-12-01'))
        .then([{ ...absent, data: { ...absent.data, to: '2026-12-01' } }]));
    it('refuses an absence that ends before it starts, or of a day the calendar lacks', () => {
      spec.given([registered]).when(recordAbsence('2026-12-04', '2026-12-01')).thenThrows(InvalidAbsence);
      spec.given([registered]).when(recordAbsence('2026-02-30', '2026-03-01')).thenThrows(InvalidAbsence);
    });
    it('records nothing for the same absence again, and refuses its id for other dates', () => {
      spec.given([registered, absent]).when(recordAbsence('2026-12-01', '2026-12-04')).then([]);
      spec.given([registered, absent]).when(recordAbsence('2026-12-02', '2026-12-04')).thenThrows(AbsenceIdTaken);
    });
    it('cancels an absence, and is no longer away', () => {
      spec.given([registered, absent]).when(cancel).then([cancelled]);
      spec
        .given([registered, absent])
        .when(cancel)
        .thenState((state) => expect(isAbsentOn(state, '2026-12-02')).toBe(false));
    });
    it('records nothing for an absence cancelled again, and never records its id again', () => {
      spec.given([registered, absent, cancelled]).when(cancel).then([]);
      spec
        .given([registered, absent, cancelled])
        .when(recordAbsence('2026-12-01', '2026-12-04'))
        .thenThrows(AbsenceIdTaken);
    });
    it('refuses to cancel an absence it does not have', () =>
      spec.given([registered]).when(cancel).thenThrows(AbsenceNotFound));
    it('is deactivated', () => spec.given([registered]).when(deactivate).then([deactivated]));
  });

  describe('deactivated', () => {
    it('takes nothing more', () => {
      for (const command of [changeHours(week), recordAbsence('2026-12-01', '2026-12-01'), cancel, deactivate]) {
        spec.given([registered, deactivated]).when(command).thenThrows(StaffMemberInactive);
      }
      spec.given([registered, deactivated]).when(register).thenThrows(StaffMemberAlreadyRegistered);
    });
  });

  it('offers the actions their status accepts', () => {
    const state = (events: StaffEvent[]) => events.reduce(staffDecider.evolve, staffDecider.initialState());
    expect(staffTransitions.allowed(state([]))).toEqual(['RegisterStaffMember']);
    expect(staffTransitions.allowed(state([registered]))).toEqual([
      'ChangeWorkingHours',
      'RecordAbsence',
      'CancelAbsence',
      'DeactivateStaffMember',
    ]);
    expect(staffTransitions.allowed(state([registered, deactivated]))).toEqual([]);
  });
});
