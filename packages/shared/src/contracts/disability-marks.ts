/**
 * The disability marks (Merkzeichen) of a severely disabled person's card that intake records as stated and rule
 * sets name as qualifying. A closed list shared by both: a mark only one side knows would silently qualify no one.
 */
import { z } from 'zod';
import { uniqueList } from './text.ts';

export const DISABILITY_MARKS = ['aG', 'Bl', 'H', 'G', 'B', 'TBl', 'Gl', 'RF'] as const;
export type DisabilityMark = (typeof DISABILITY_MARKS)[number];

export const disabilityMark = z.enum(DISABILITY_MARKS);
/** Each mark at most once. */
export const disabilityMarks = uniqueList(disabilityMark, { max: DISABILITY_MARKS.length });
