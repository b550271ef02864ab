/**
 * One resource's day: reserve answers reserved (the hold is recorded) or taken (SlotTaken: another visit holds an
 * overlapping time, the larger of the two travel buffers kept free between them). The same hold again is a no-op; a
 * released hold is never taken again. Pure: the caller passes the time.
 */
import type { Decider } from '@buergerkoffer/shared/event-sourcing';
import { HoldReleased, SlotTaken } from './calendar.errors.ts';
import type { CalendarEvent, ResourceRef } from './calendar.events.ts';

export type CalendarCommand =
  | {
      readonly type: 'Reserve';
      readonly resource: ResourceRef;
      readonly date: string;
      readonly holdId: string;
      readonly visitId: string;
      readonly start: string;
      readonly end: string;
      readonly bufferMinutes: number;
      readonly now: string;
    }
  | {
      readonly type: 'Release';
      readonly resource: ResourceRef;
      readonly date: string;
      readonly holdId: string;
      readonly visitId: string;
      readonly now: string;
    };

export interface Hold {
  readonly holdId: string;
  readonly visitId: string;
  readonly start: string;
  readonly end: string;
  readonly bufferMinutes: number;
}

export interface CalendarState {
  readonly holds: readonly Hold[];
  /** Holds released on this day: never taken again. */
  readonly released: readonly string[];
}

const streamDate = (date: string): string => {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) throw new RangeError(`not a date: ${date}`);
  return date;
};
export const toKitCalendarStreamName = (kitId: string, date: string): string =>
  `kitCalendar-${kitId}.${streamDate(date)}`;
export const toStaffCalendarStreamName = (staffId: string, date: string): string =>
  `staffCalendar-${staffId}.${streamDate(date)}`;
export const toCalendarStreamName = (resource: ResourceRef, date: string): string =>
  resource.kind === 'kit' ? toKitCalendarStreamName(resource.id, date) : toStaffCalendarStreamName(resource.id, date);

const MINUTE = 60_000;

/** Whether two holds of one resource overlap, the larger travel buffer kept free between them. */
export function overlaps(a: Omit<Hold, 'holdId' | 'visitId'>, b: Omit<Hold, 'holdId' | 'visitId'>): boolean {
  const gap = Math.max(a.bufferMinutes, b.bufferMinutes) * MINUTE;
  return Date.parse(a.start) < Date.parse(b.end) + gap && Date.parse(b.start) < Date.parse(a.end) + gap;
}

const describe = (resource: ResourceRef) => (resource.kind === 'kit' ? `kit ${resource.id}` : `staff ${resource.id}`);

export const calendarDecider: Decider<CalendarCommand, CalendarEvent, CalendarState> = {
  initialState: () => ({ holds: [], released: [] }),

  evolve(state, event) {
    switch (event.type) {
      case 'ResourceReserved': {
        const { holdId, visitId, start, end, bufferMinutes } = event.data;
        return { ...state, holds: [...state.holds, { holdId, visitId, start, end, bufferMinutes }] };
      }
      case 'ResourceReleased':
        return {
          holds: state.holds.filter((hold) => hold.holdId !== event.data.holdId),
          released: [...state.released, event.data.holdId],
        };
      default: {
        const unknown: never = event;
        return unknown;
      }
    }
  },

  decide(command, state) {
    switch (command.type) {
      case 'Reserve': {
        if (Date.parse(command.end) <= Date.parse(command.start)) throw new RangeError('a hold ends after it starts');
        if (state.released.includes(command.holdId)) {
          throw new HoldReleased(`hold ${command.holdId} on ${describe(command.resource)} was released`);
        }
        const own = state.holds.find((hold) => hold.holdId === command.holdId);
        if (own) {
          if (own.start === command.start && own.end === command.end) return [];
          throw new RangeError(`hold ${command.holdId} is held for another time`);
        }
        // A visit never collides with itself (its earlier allocation is let go once the new one holds).
        const taken = state.holds.find((hold) => hold.visitId !== command.visitId && overlaps(hold, command));
        if (taken) {
          throw new SlotTaken(
            command.resource,
            `${describe(command.resource)} is booked from ${taken.start} to ${taken.end} (travel buffer ${Math.max(taken.bufferMinutes, command.bufferMinutes)} min)`,
          );
        }
        return [
          {
            type: 'ResourceReserved',
            data: {
              resource: command.resource,
              date: command.date,
              holdId: command.holdId,
              visitId: command.visitId,
              start: command.start,
              end: command.end,
              bufferMinutes: command.bufferMinutes,
              reservedAt: command.now,
            },
          },
        ];
      }
      case 'Release':
        if (!state.holds.some((hold) => hold.holdId === command.holdId)) {
          // Never held (refused before it was taken) or already let go: remembered as released all the same.
          if (state.released.includes(command.holdId)) return [];
        }
        return [
          {
            type: 'ResourceReleased',
            data: {
              resource: command.resource,
              date: command.date,
              holdId: command.holdId,
              visitId: command.visitId,
              releasedAt: command.now,
            },
          },
        ];
      default: {
        const unknown: never = command;
        return unknown;
      }
    }
  },
};
