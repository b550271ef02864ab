/**
 * A member of the field staff: registered with a valid working week (working-hours.ts), the week changed, absences
 * recorded (dates, both included, and no reason) and cancelled, deactivated for good when they leave. The same week
 * again, an absence recorded again under its id and one cancelled again record nothing. What each status accepts is
 * data (`staffTransitions`), read by `decide` and answered as `allowedActions`. Pure: time and ids come in with the
 * command.
 */
import { type Decider, transitions } from '@buergerkoffer/shared/event-sourcing';
import { isLocalDate } from '../time/local-time.ts';
import type { StaffCommand } from './staff.commands.ts';
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
import { normalizeWorkingHours, sameWorkingHours, type WorkingHours, workingHoursIssues } from './working-hours.ts';

export type StaffStatus = 'active' | 'deactivated';

export interface Absence {
  readonly absenceId: string;
  readonly from: string;
  readonly to: string;
}

export type StaffState =
  | { readonly status: 'none' }
  | {
      readonly status: StaffStatus;
      readonly staffId: string;
      readonly displayName: string;
      readonly homeOffice: string;
      readonly workingHours: WorkingHours;
      /** The absences standing, in the order recorded. */
      readonly absences: readonly Absence[];
      /** The ids of absences cancelled: never recorded again. */
      readonly cancelled: readonly string[];
    };

export const toStaffStreamName = (staffId: string): string => `staffMember-${staffId}`;

/** What a member of staff accepts in each status: `decide` checks it, the view answers it as `allowedActions`. */
export const staffTransitions = transitions<StaffState, StaffCommand>(
  {
    none: ['RegisterStaffMember'],
    active: ['ChangeWorkingHours', 'RecordAbsence', 'CancelAbsence', 'DeactivateStaffMember'],
    deactivated: [],
  },
  {
    refuse: (state, command) => {
      switch (state.status) {
        case 'none':
          return new StaffMemberNotFound(`staff member ${command.staffId} not found`);
        case 'active':
          return new StaffMemberAlreadyRegistered(`staff member ${command.staffId} exists`);
        case 'deactivated':
          return command.type === 'RegisterStaffMember'
            ? new StaffMemberAlreadyRegistered(`staff member ${command.staffId} exists`)
            : new StaffMemberInactive(`staff member ${command.staffId} was deactivated`);
        default: {
          const unknown: never = state;
          return unknown;
        }
      }
    },
  },
);

/** The week, refused with its first fault. */
function validWeek(hours: WorkingHours) {
  const [issue] = workingHoursIssues(hours);
  if (issue) throw new InvalidWorkingHours(`${issue.path[0]} #${issue.path[1] + 1}: ${issue.message}`);
  return normalizeWorkingHours(hours);
}

/** Whether the member of staff is away on the local date (an absence includes both its dates). */
export const isAbsentOn = (state: StaffState, date: string): boolean =>
  state.status !== 'none' && state.absences.some((absence) => absence.from <= date && date <= absence.to);

export const staffDecider: Decider<StaffCommand, StaffEvent, StaffState> = {
  initialState: () => ({ status: 'none' }),

  evolve(state, event) {
    switch (event.type) {
      case 'StaffMemberRegistered': {
        const { staffId, displayName, homeOffice, workingHours } = event.data;
        return { status: 'active', staffId, displayName, homeOffice, workingHours, absences: [], cancelled: [] };
      }
      case 'WorkingHoursChanged':
        return state.status === 'none' ? state : { ...state, workingHours: event.data.workingHours };
      case 'AbsenceRecorded': {
        if (state.status === 'none') return state;
        const { absenceId, from, to } = event.data;
        return { ...state, absences: [...state.absences, { absenceId, from, to }] };
      }
      case 'AbsenceCancelled':
        return state.status === 'none'
          ? state
          : {
              ...state,
              absences: state.absences.filter((absence) => absence.absenceId !== event.data.absenceId),
              cancelled: [...state.cancelled, event.data.absenceId],
            };
      case 'StaffMemberDeactivated':
        return state.status === 'none' ? state : { ...state, status: 'deactivated' };
      default: {
        const unknown: never = event;
        return unknown;
      }
    }
  },

  decide(command, state) {
    staffTransitions.check(state, command);
    switch (command.type) {
      case 'RegisterStaffMember': {
        const { staffId, displayName, homeOffice, now } = command;
        const workingHours = validWeek(command.workingHours);
        return [
          {
            type: 'StaffMemberRegistered',
            data: { staffId, displayName, homeOffice, workingHours, registeredAt: now },
          },
        ];
      }
      case 'ChangeWorkingHours': {
        if (state.status === 'none') throw staffTransitions.refusal(state, command);
        const workingHours = validWeek(command.workingHours);
        if (sameWorkingHours(state.workingHours, workingHours)) return [];
        return [
          { type: 'WorkingHoursChanged', data: { staffId: command.staffId, workingHours, changedAt: command.now } },
        ];
      }
      case 'RecordAbsence': {
        if (state.status === 'none') throw staffTransitions.refusal(state, command);
        const { staffId, absenceId, from, to, now } = command;
        if (!isLocalDate(from) || !isLocalDate(to)) throw new InvalidAbsence('an absence is from a date to a date');
        if (to < from) throw new InvalidAbsence(`the absence ends (${to}) before it starts (${from})`);
        if (state.cancelled.includes(absenceId)) throw new AbsenceIdTaken(`absence ${absenceId} was cancelled`);
        const recorded = state.absences.find((absence) => absence.absenceId === absenceId);
        if (recorded) {
          if (recorded.from === from && recorded.to === to) return [];
          throw new AbsenceIdTaken(`absence ${absenceId} is recorded from ${recorded.from} to ${recorded.to}`);
        }
        return [{ type: 'AbsenceRecorded', data: { staffId, absenceId, from, to, recordedAt: now } }];
      }
      case 'CancelAbsence': {
        if (state.status === 'none') throw staffTransitions.refusal(state, command);
        const { staffId, absenceId, now } = command;
        if (state.cancelled.includes(absenceId)) return [];
        if (!state.absences.some((absence) => absence.absenceId === absenceId)) {
          throw new AbsenceNotFound(`staff member ${staffId} has no absence ${absenceId}`);
        }
        return [{ type: 'AbsenceCancelled', data: { staffId, absenceId, cancelledAt: now } }];
      }
      case 'DeactivateStaffMember':
        return [{ type: 'StaffMemberDeactivated', data: { staffId: command.staffId, deactivatedAt: command.now } }];
      default: {
        const unknown: never = command;
        return unknown;
      }
    }
  },
};
