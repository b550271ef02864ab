/**
 * A member of the field staff (stream `staffMember-<staffId>`): registered with their display name, home office and
 * working week, the week changed, absences recorded and cancelled, deactivated when they leave the mobile office.
 * The display name is an employee's work data, needed by everyone who plans and runs visits: kept in clear, like the
 * rest. An absence has dates and no reason: a reason such as sickness would be health data, and the planner needs
 * only to know that the person is away.
 */
import { eventCodec } from '@buergerkoffer/shared/event-sourcing';
import { z } from 'zod';
import { WEEKDAYS } from '../time/local-time.ts';
import { LOCAL_TIME } from './working-hours.ts';

export const weekday = z.enum(WEEKDAYS);
export const localTime = z.string().regex(LOCAL_TIME, 'a time of day, HH:mm');
export const workingInterval = z.object({ from: localTime, to: localTime });
/** Per weekday the intervals worked; a day missing is a day off (rules: working-hours.ts). */
export const workingHours = z.partialRecord(weekday, z.array(workingInterval));

export const staffMemberRegistered = z.object({
  type: z.literal('StaffMemberRegistered'),
  data: z.object({
    staffId: z.uuid(),
    displayName: z.string().min(1).max(200),
    homeOffice: z.string().min(1).max(200),
    workingHours,
    registeredAt: z.iso.datetime(),
  }),
});
export const workingHoursChanged = z.object({
  type: z.literal('WorkingHoursChanged'),
  data: z.object({ staffId: z.uuid(), workingHours, changedAt: z.iso.datetime() }),
});
/** From and to are local dates, both included. No reason (see above). */
export const absenceRecorded = z.object({
  type: z.literal('AbsenceRecorded'),
  data: z.object({
    staffId: z.uuid(),
    absenceId: z.uuid(),
    from: z.iso.date(),
    to: z.iso.date(),
    recordedAt: z.iso.datetime(),
  }),
});
export const absenceCancelled = z.object({
  type: z.literal('AbsenceCancelled'),
  data: z.object({ staffId: z.uuid(), absenceId: z.uuid(), cancelledAt: z.iso.datetime() }),
});
export const staffMemberDeactivated = z.object({
  type: z.literal('StaffMemberDeactivated'),
  data: z.object({ staffId: z.uuid(), deactivatedAt: z.iso.datetime() }),
});

export const staffEvent = z.discriminatedUnion('type', [
  staffMemberRegistered,
  workingHoursChanged,
  absenceRecorded,
  absenceCancelled,
  staffMemberDeactivated,
]);
export type StaffEvent = z.infer<typeof staffEvent>;
/** Stored → domain events of the staff member (an employee's work data: nothing sealed). */
export const staffCodec = eventCodec(staffEvent);
