/**
 * The visit. Booking is two-step (visit-manager.ts holds the resources): StartBooking records the plan and its hold
 * id, then CompleteBooking (every resource held) plans the visit or RefuseBooking (one was taken) ends it. A planned
 * visit is confirmed (the citizen or institution agreed), rescheduled (again in two steps, the old allocation kept
 * until the new one holds), cancelled with a reason, loses participants (the last one leaving cancels it), or is
 * flagged for rescheduling (a device it needs broke, a member of staff is absent). What each status accepts is data
 * (`visitTransitions`), read by `decide` and answered as `allowedActions`. Repeats of the visit manager's steps
 * are no-ops, so it can run a booking again after a crash. Pure: time and ids come in with the command.
 */
import { type Decider, transitions } from '@buergerkoffer/shared/event-sourcing';
import type { TakenRef } from '../calendars/calendar.events.ts';
import type { VisitCommand } from './visit.commands.ts';
import {
  InvalidVisitPlan,
  NotAParticipant,
  RescheduleInProgress,
  VisitActionNotAllowed,
  VisitNotFound,
} from './visit.errors.ts';
import type { Allocation, Participant, Place, VisitEvent } from './visit.events.ts';

export type VisitStatus = 'booking' | 'planned' | 'confirmed' | 'refused' | 'cancelled';

export interface RescheduleFlag {
  readonly reason: 'device-faulty' | 'kit-withdrawn' | 'staff-absent' | 'staff-deactivated';
  readonly kitId?: string | undefined;
  readonly device?: string | undefined;
  readonly staffId?: string | undefined;
  readonly flaggedAt: string;
}

export type VisitState =
  | { readonly status: 'none' }
  | {
      readonly status: VisitStatus;
      readonly visitId: string;
      /** Who takes part now (removed participants are gone from here). */
      readonly participants: readonly Participant[];
      readonly removed: readonly string[];
      readonly place: Place;
      readonly placeSubjectId: string | undefined;
      readonly groupRequestId: string | undefined;
      readonly requiredDevices: readonly string[];
      /** What the visit holds (while booking: what it is trying to hold). */
      readonly allocation: Allocation;
      /** A reschedule being booked: the allocation it tries to hold. */
      readonly pending: Allocation | null;
      /** Allocations so far (numbers the hold ids). */
      readonly allocations: number;
      /** Counts the changes a calendar shows (RFC 5545 SEQUENCE). */
      readonly sequence: number;
      readonly flag: RescheduleFlag | null;
      readonly confirmedBy: 'citizen' | 'institution' | 'contact-person' | null;
      readonly cancelReason: string | null;
      readonly refusedBy: TakenRef | null;
    };

export const toVisitStreamName = (visitId: string): string => `visit-${visitId}`;
export const holdIdOf = (visitId: string, allocation: number): string => `${visitId}:${allocation}`;

/** The actions a scheduler takes (the rest are the visit manager's steps), by their names in the API. */
export const VISIT_ACTIONS = {
  Confirm: 'confirm',
  StartReschedule: 'reschedule',
  Cancel: 'cancel',
  RemoveParticipant: 'remove-participant',
} as const satisfies Partial<Record<VisitCommand['type'], string>>;

const ACTIVE = [
  'StartReschedule',
  'CompleteReschedule',
  'RefuseReschedule',
  'Cancel',
  'RemoveParticipant',
  'FlagForRescheduling',
  'CompleteBooking',
] as const;

export const visitTransitions = transitions<VisitState, VisitCommand>(
  {
    none: ['StartBooking'],
    booking: ['StartBooking', 'CompleteBooking', 'RefuseBooking'],
    planned: ['Confirm', ...ACTIVE],
    confirmed: ['Confirm', ...ACTIVE],
    refused: ['RefuseBooking'],
    // A cancelled visit takes the visit manager's late steps of a reschedule as no-ops.
    cancelled: ['Cancel', 'RemoveParticipant', 'CompleteReschedule', 'RefuseReschedule'],
  },
  {
    // One reschedule at a time.
    guard: (state, type) => !(type === 'StartReschedule' && state.status !== 'none' && state.pending !== null),
    refuse: (state, command) => {
      if (state.status === 'none') return new VisitNotFound(`visit ${command.visitId} does not exist`);
      if (command.type === 'StartReschedule' && state.pending)
        return new RescheduleInProgress(`visit ${command.visitId} is being rescheduled already`);
      return new VisitActionNotAllowed(`a ${state.status} visit does not accept ${command.type}`);
    },
  },
);

/** The scheduler's actions the visit accepts now. */
export const allowedVisitActions = (state: VisitState): string[] =>
  visitTransitions.allowed(state).flatMap((type) => {
    const name = (VISIT_ACTIONS as Partial<Record<string, string>>)[type];
    if (!name) return [];
    // Confirming a confirmed visit, cancelling a cancelled one: accepted as repeats, not offered.
    if (type === 'Confirm' && state.status === 'confirmed') return [];
    if ((type === 'Cancel' || type === 'RemoveParticipant') && state.status === 'cancelled') return [];
    return [name];
  });

function checkAllocation(allocation: Omit<Allocation, 'holdId'>): void {
  if (allocation.staffIds[0] === allocation.staffIds[1]) throw new InvalidVisitPlan('a visit needs two staff members');
  if (Date.parse(allocation.end) <= Date.parse(allocation.start))
    throw new InvalidVisitPlan('a visit ends after it starts');
}

const sameAllocation = (a: Omit<Allocation, 'holdId'>, b: Omit<Allocation, 'holdId'>): boolean =>
  a.kitId === b.kitId &&
  a.start === b.start &&
  a.end === b.end &&
  a.date === b.date &&
  [...a.staffIds].sort().join() === [...b.staffIds].sort().join();

const requested = (command: Omit<Allocation, 'holdId'>): Omit<Allocation, 'holdId'> => ({
  kitId: command.kitId,
  staffIds: command.staffIds,
  date: command.date,
  start: command.start,
  end: command.end,
  bufferMinutes: command.bufferMinutes,
});

export const visitDecider: Decider<VisitCommand, VisitEvent, VisitState> = {
  initialState: () => ({ status: 'none' }),

  evolve(state, event) {
    if (event.type === 'VisitBookingStarted') {
      const { data } = event;
      return {
        status: 'booking',
        visitId: data.visitId,
        participants: data.participants,
        removed: [],
        place: data.place,
        placeSubjectId: data.placeSubjectId,
        groupRequestId: data.groupRequestId,
        requiredDevices: data.requiredDevices,
        allocation: {
          holdId: data.holdId,
          kitId: data.kitId,
          staffIds: data.staffIds,
          date: data.date,
          start: data.start,
          end: data.end,
          bufferMinutes: data.bufferMinutes,
        },
        pending: null,
        allocations: 1,
        sequence: 0,
        flag: null,
        confirmedBy: null,
        cancelReason: null,
        refusedBy: null,
      };
    }
    if (state.status === 'none') return state;
    switch (event.type) {
      case 'VisitPlanned':
        return { ...state, status: 'planned' };
      case 'VisitBookingRefused':
        return { ...state, status: 'refused', refusedBy: event.data.resource };
      case 'VisitRescheduleStarted': {
        const { visitId: _visitId, requestedBy: _by, requestedAt: _at, ...pending } = event.data;
        return { ...state, pending, allocations: state.allocations + 1 };
      }
      case 'VisitRescheduled': {
        const { holdId, kitId, staffIds, date, start, end, bufferMinutes } = event.data;
        // Moved: the new time needs the citizen's agreement again; the reason to move it is gone.
        return {
          ...state,
          status: 'planned',
          allocation: { holdId, kitId, staffIds, date, start, end, bufferMinutes },
          pending: null,
          sequence: state.sequence + 1,
          flag: null,
          confirmedBy: null,
        };
      }
      case 'VisitRescheduleRefused':
        return { ...state, pending: null };
      case 'VisitConfirmed':
        return { ...state, status: 'confirmed', confirmedBy: event.data.confirmedBy, sequence: state.sequence + 1 };
      case 'VisitCancelled':
        return { ...state, status: 'cancelled', cancelReason: event.data.reason, sequence: state.sequence + 1 };
      case 'ParticipantRemoved':
        return {
          ...state,
          participants: state.participants.filter((p) => p.caseId !== event.data.caseId),
          removed: [...state.removed, event.data.caseId],
          sequence: state.sequence + 1,
        };
      case 'VisitFlaggedForRescheduling': {
        const { visitId: _visitId, ...flag } = event.data;
        return { ...state, flag };
      }
      default: {
        const unknown: never = event;
        return unknown;
      }
    }
  },

  decide(command, state) {
    visitTransitions.check(state, command);
    switch (command.type) {
      case 'StartBooking': {
        if (state.status !== 'none') return []; // the same booking again (its id is the caller's)
        checkAllocation(command);
        const cases = command.participants.map((p) => p.caseId);
        if (cases.length === 0 || new Set(cases).size !== cases.length)
          throw new InvalidVisitPlan('a visit has participants, each case once');
        return [
          {
            type: 'VisitBookingStarted',
            data: {
              visitId: command.visitId,
              holdId: holdIdOf(command.visitId, 1),
              ...requested(command),
              participants: [...command.participants],
              place: command.place,
              ...(command.placeSubjectId ? { placeSubjectId: command.placeSubjectId } : {}),
              ...(command.groupRequestId ? { groupRequestId: command.groupRequestId } : {}),
              requiredDevices: [...command.requiredDevices],
              requestedBy: command.by,
              requestedAt: command.now,
            },
          },
        ];
      }
      case 'CompleteBooking':
        if (state.status === 'none' || state.allocation.holdId !== command.holdId)
          throw visitTransitions.refusal(state, command);
        if (state.status !== 'booking') return []; // planned already
        return [
          {
            type: 'VisitPlanned',
            data: {
              visitId: state.visitId,
              ...state.allocation,
              participants: state.participants.map(({ caseId, services }) => ({ caseId, services })),
              plannedAt: command.now,
            },
          },
        ];
      case 'RefuseBooking':
        if (state.status === 'none' || state.allocation.holdId !== command.holdId)
          throw visitTransitions.refusal(state, command);
        if (state.status !== 'booking') return []; // refused already
        return [
          {
            type: 'VisitBookingRefused',
            data: {
              visitId: state.visitId,
              holdId: command.holdId,
              resource: command.resource,
              refusedAt: command.now,
            },
          },
        ];
      case 'StartReschedule': {
        if (state.status === 'none' || state.pending) throw visitTransitions.refusal(state, command);
        checkAllocation(command);
        if (sameAllocation(state.allocation, command))
          throw new InvalidVisitPlan('the visit is planned for that time with those resources already');
        return [
          {
            type: 'VisitRescheduleStarted',
            data: {
              visitId: state.visitId,
              holdId: holdIdOf(state.visitId, state.allocations + 1),
              ...requested(command),
              requestedBy: command.by,
              requestedAt: command.now,
            },
          },
        ];
      }
      case 'CompleteReschedule':
        if (state.status === 'none') throw visitTransitions.refusal(state, command);
        if (state.allocation.holdId === command.holdId || state.status === 'cancelled') return []; // done, or moot
        if (state.pending?.holdId !== command.holdId) throw visitTransitions.refusal(state, command);
        return [
          {
            type: 'VisitRescheduled',
            data: {
              visitId: state.visitId,
              ...state.pending,
              previous: state.allocation,
              rescheduledAt: command.now,
            },
          },
        ];
      case 'RefuseReschedule':
        if (state.status === 'none' || state.status === 'cancelled' || state.pending?.holdId !== command.holdId)
          return [];
        return [
          {
            type: 'VisitRescheduleRefused',
            data: {
              visitId: state.visitId,
              holdId: command.holdId,
              resource: command.resource,
              refusedAt: command.now,
            },
          },
        ];
      case 'Confirm':
        if (state.status === 'none' || state.status === 'confirmed') return [];
        return [
          {
            type: 'VisitConfirmed',
            data: {
              visitId: state.visitId,
              confirmedBy: command.confirmedBy,
              recordedBy: command.by,
              confirmedAt: command.now,
            },
          },
        ];
      case 'Cancel':
        if (state.status === 'none' || state.status === 'cancelled') return [];
        return [
          {
            type: 'VisitCancelled',
            data: { visitId: state.visitId, reason: command.reason, cancelledBy: command.by, cancelledAt: command.now },
          },
        ];
      case 'RemoveParticipant': {
        if (state.status === 'none') throw visitTransitions.refusal(state, command);
        if (state.removed.includes(command.caseId)) return [];
        if (!state.participants.some((p) => p.caseId === command.caseId))
          throw new NotAParticipant(`case ${command.caseId} does not take part in visit ${state.visitId}`);
        if (state.status === 'cancelled') return [];
        const removed: VisitEvent = {
          type: 'ParticipantRemoved',
          data: {
            visitId: state.visitId,
            caseId: command.caseId,
            reason: command.reason,
            removedBy: command.by,
            removedAt: command.now,
          },
        };
        if (state.participants.length > 1) return [removed];
        // The last participant gone: nobody to visit.
        return [
          removed,
          {
            type: 'VisitCancelled',
            data: {
              visitId: state.visitId,
              reason: 'no-participants',
              cancelledBy: command.by,
              cancelledAt: command.now,
            },
          },
        ];
      }
      case 'FlagForRescheduling': {
        if (state.status === 'none') throw visitTransitions.refusal(state, command);
        // Only what is still ahead; and the same reason once.
        if (Date.parse(state.allocation.end) <= Date.parse(command.now)) return [];
        const flag = state.flag;
        if (
          flag &&
          flag.reason === command.reason &&
          flag.device === command.device &&
          flag.kitId === command.kitId &&
          flag.staffId === command.staffId
        )
          return [];
        return [
          {
            type: 'VisitFlaggedForRescheduling',
            data: {
              visitId: state.visitId,
              reason: command.reason,
              ...(command.kitId ? { kitId: command.kitId } : {}),
              ...(command.device ? { device: command.device } : {}),
              ...(command.staffId ? { staffId: command.staffId } : {}),
              flaggedAt: command.now,
            },
          },
        ];
      }
      default: {
        const unknown: never = command;
        return unknown;
      }
    }
  },
};
