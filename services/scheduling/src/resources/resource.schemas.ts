/**
 * Request building blocks of the resource routes, stricter than the events' schemas (which must go on reading what
 * was stored before): names of one line with a letter, and a working week whose intervals are valid — each fault
 * named at its interval (`body.workingHours.mon.1`), by the same rule the decider holds (working-hours.ts).
 */
import { properName } from '@buergerkoffer/shared/contracts';
import { z } from 'zod';
import { WEEKDAYS } from '../time/local-time.ts';
import { localTime } from './staff.events.ts';
import { workingHoursIssues } from './working-hours.ts';

/** A kit's or an office's name, a member of staff's display name. */
export const resourceName = properName(100);

export const weekdayInput = z.enum(WEEKDAYS);

export const workingHoursInput = z
  .partialRecord(weekdayInput, z.array(z.strictObject({ from: localTime, to: localTime })).max(8))
  .superRefine((hours, context) => {
    for (const issue of workingHoursIssues(hours)) {
      context.addIssue({ code: 'custom', path: [...issue.path], message: issue.message });
    }
  })
  .describe('Per weekday (mon … sun) the intervals worked, in order, not overlapping; a day left out is a day off');
