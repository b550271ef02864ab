/**
 * Request building blocks that refuse what cannot be true (issue 13): text with control characters, broken UTF-16
 * or nothing visible in it, names without a letter, phone numbers that are not, dates the calendar does not have or
 * that lie where they cannot, repeated list entries. For requests only: stored events keep their own schemas, so that
 * what was stored before a rule tightened stays readable.
 */
import { z } from 'zod';

/** What renders as nothing: whitespace, and zero-width, format and filler code points (U+200B–U+200D, U+FEFF, …). */
const INVISIBLE = /[\s\p{Default_Ignorable_Code_Point}]/gu;
/** C0, DEL and C1. */
const CONTROL = /\p{Cc}/u;
/** U+FFFE, U+FFFF, U+FDD0–U+FDEF, …: never characters, in any text. */
const NONCHARACTER = /\p{Noncharacter_Code_Point}/u;
const LETTER = /\p{L}/u;

const hasForbidden = (value: string, allowed: readonly string[]): boolean => {
  for (const char of value) {
    if ((CONTROL.test(char) && !allowed.includes(char)) || NONCHARACTER.test(char)) return true;
  }
  return false;
};

/**
 * Well-formed first (a lone surrogate has no UTF-8 form to store, and the later checks would only add noise), then
 * NFC — so that "Zoë" typed two ways is one name for the duplicate lookup — then trimmed and bounded.
 */
const text = (max: number, multiline: boolean) => {
  const wellFormed = z
    .string()
    .refine((value) => value.isWellFormed(), { message: 'no lone surrogates (broken UTF-16)', abort: true })
    .normalize('NFC');
  // CR LF and a lone CR become LF: a text pasted from anywhere is stored one way.
  const lines = multiline ? wellFormed.overwrite((value) => value.replace(/\r\n?/g, '\n')) : wellFormed;
  const allowed = multiline ? ['\n', '\t'] : [];
  return lines
    .trim()
    .max(max)
    .refine(
      (value) => !hasForbidden(value, allowed),
      multiline ? 'no control characters but line breaks and tabs' : 'one line, no control characters',
    )
    .refine((value) => value.replace(INVISIBLE, '').length > 0, 'not empty, nor only invisible characters');
};

/** One line of text: no control characters at all, not even a tab or a line break. */
export const singleLineText = (max: number) => text(max, false);

/** Reasons, overrides, notes: line breaks and tabs are fine, other control characters are not. */
export const freeText = (max: number) => text(max, true);

/** A name (of a person, an institution, a city): one line with at least one letter of any script. */
export const properName = (max = 200) =>
  singleLineText(max).refine((value) => LETTER.test(value), 'at least one letter');

export const personName = properName(200);

/**
 * A plausible phone number as people write it: an optional leading +, digits, spaces, `/`, `-` and parentheses,
 * at least 5 digits (the shortest local numbers), at most 30 characters (15 digits of E.164 and their separators).
 */
export const phoneNumber = z
  .string()
  .trim()
  .max(30)
  .regex(/^(?=(?:\D*\d){5})\+?[\d(][\d ()/-]*\d$/, 'a phone number: digits, an optional leading +, spaces, / - ( )');

/** YYYY-MM-DD, and a day the calendar has (no 2026-02-30). */
export const calendarDate = z.iso.date('a date that exists, YYYY-MM-DD');

/** The UTC day of a moment, YYYY-MM-DD. */
export const dayOf = (at: Date): string => at.toISOString().slice(0, 10);

const HOUR_MS = 3_600_000;
export const EARLIEST_BIRTH_DATE = '1900-01-01';

/**
 * A birth date between 1900-01-01 and today. "Today" is the newest calendar day anywhere on earth (UTC+14): a child
 * born just after midnight in Berlin has a birth date that is still tomorrow in UTC, and that is not untrue.
 */
export const birthDate = (now: () => Date = () => new Date()) =>
  calendarDate
    .refine((date) => date >= EARLIEST_BIRTH_DATE, `not before ${EARLIEST_BIRTH_DATE}`)
    .refine((date) => date <= dayOf(new Date(now().getTime() + 14 * HOUR_MS)), 'not in the future');

/** A date from today (the UTC day of `now()`, as the services count days) on: a wish or a plan, not history. */
export const upcomingDate = (now: () => Date) => calendarDate.refine((date) => date >= dayOf(now()), 'not in the past');

/** A list whose entries each appear once; a repetition is named at its index (`body.requestedServices.2`). */
export const uniqueList = <Item extends z.ZodType<string | number | boolean>>(
  item: Item,
  { min = 0, max }: { readonly min?: number; readonly max: number },
) =>
  z
    .array(item)
    .min(min)
    .max(max)
    .superRefine((items, context) => {
      items.forEach((value, index) => {
        if (items.indexOf(value) !== index) {
          context.addIssue({ code: 'custom', path: [index], message: `${String(value)} is listed twice` });
        }
      });
    });
