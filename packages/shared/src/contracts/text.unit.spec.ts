import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { DISABILITY_MARKS, disabilityMarks } from './disability-marks.ts';
import {
  birthDate,
  calendarDate,
  freeText,
  personName,
  phoneNumber,
  singleLineText,
  uniqueList,
  upcomingDate,
} from './text.ts';

const accepts = (schema: { safeParse(value: unknown): { success: boolean } }, value: unknown) =>
  schema.safeParse(value).success;

/** Letters of several scripts (composed and not), and what names put between them. */
const letter = fc.constantFrom('a', 'Z', 'ë', 'ß', 'Ł', 'é', 'e\u0301', 'ğ', 'Ж', 'λ', 'م', '李', '𠮷', 'ñ');
const nameChar = fc.oneof(letter, fc.constantFrom(' ', '-', "'", '.'));
const name = fc.tuple(letter, fc.array(nameChar, { maxLength: 30 })).map(([first, rest]) => [first, ...rest].join(''));
/** Where a value is cut to insert something. */
const cut = (value: string, at: number) => {
  const chars = [...value];
  const index = at % (chars.length + 1);
  return [chars.slice(0, index).join(''), chars.slice(index).join('')] as const;
};
const insertInto = (value: string, at: number, inserted: string) => {
  const [before, after] = cut(value, at);
  return `${before}${inserted}${after}`;
};
const codePoint = (from: number, to: number) => fc.integer({ min: from, max: to }).map((c) => String.fromCharCode(c));
const c0OrC1 = fc.oneof(codePoint(0x00, 0x1f), codePoint(0x7f, 0x9f));
/** What free text refuses (a CR is a line break too: it becomes LF). */
const controlButLineBreakOrTab = c0OrC1.filter((c) => c !== '\n' && c !== '\t' && c !== '\r');
const loneSurrogate = codePoint(0xd800, 0xdfff);
/** Renders as nothing: whitespace, zero-width space/non-joiner/joiner, word joiner, BOM, soft hyphen, fillers. */
const invisible = fc
  .array(
    fc.constantFrom(' ', '\u00a0', '\u2003', '\u200b', '\u200c', '\u200d', '\u2060', '\ufeff', '\u00ad', '\u3164'),
    {
      maxLength: 12,
    },
  )
  .map((chars) => chars.join(''));

describe('personName', () => {
  it('accepts names of any script with spaces, hyphens, apostrophes, and answers them trimmed and in NFC', () => {
    fc.assert(
      fc.property(name, (value) => {
        const parsed = personName.safeParse(` ${value.normalize('NFD')} `);
        expect(parsed.success).toBe(true);
        expect(parsed.data).toBe(value.normalize('NFC').trim());
      }),
    );
    for (const value of ['Zoë', 'Jean-Luc', "O'Brien", 'Łukasz', 'Müller-Lüdenscheidt', 'X'])
      expect(personName.parse(value)).toBe(value);
  });

  it('refuses a name with any C0 or C1 control character inside it, a tab and a line break included', () => {
    // Inside: a tab or a line break at either end is whitespace, trimmed like a space.
    fc.assert(
      fc.property(
        name,
        fc.nat(),
        c0OrC1,
        (value, at, control) => !accepts(personName, `x${insertInto(value, at, control)}x`),
      ),
    );
    expect(accepts(personName, '\u0000')).toBe(false);
    expect(accepts(personName, ' Erika\n')).toBe(true);
  });

  it('refuses a name with a lone surrogate', () => {
    fc.assert(
      fc.property(
        name,
        fc.nat(),
        loneSurrogate,
        (value, at, half) => !accepts(personName, insertInto(value, at, half)),
      ),
    );
  });

  it('refuses a name of invisible characters only, and one without a letter', () => {
    fc.assert(fc.property(invisible, (value) => !accepts(personName, value)));
    for (const value of ['\u200b\u200b', '\ufeff', '-', "'' ", '1234', '\u00ad'])
      expect(accepts(personName, value)).toBe(false);
  });

  it('refuses a name longer than 200 characters', () => {
    expect(accepts(personName, 'a'.repeat(200))).toBe(true);
    expect(accepts(personName, 'a'.repeat(201))).toBe(false);
  });
});

describe('freeText and singleLineText', () => {
  const reason = freeText(100);
  it('keeps line breaks and tabs in free text, CR LF as LF; refuses every other control character', () => {
    expect(reason.parse('Pflegegrad 4\r\n\tnachgewiesen\rund gesehen')).toBe(
      'Pflegegrad 4\n\tnachgewiesen\nund gesehen',
    );
    fc.assert(
      fc.property(name, fc.nat(), controlButLineBreakOrTab, (value, at, control) => {
        const [before, after] = cut(value, at);
        // Inside the text: trimming would take a control at either end away only if it were whitespace.
        return !accepts(reason, `x${before}${control}${after}x`);
      }),
    );
  });

  it('refuses one-line text with a tab or a line break', () => {
    expect(accepts(singleLineText(50), 'dms://42')).toBe(true);
    expect(accepts(singleLineText(50), 'dms://42\nrm')).toBe(false);
    expect(accepts(singleLineText(50), 'dms\t42')).toBe(false);
  });

  it('refuses text that is empty once whitespace and invisible characters are gone, and text over its bound', () => {
    fc.assert(fc.property(invisible, (value) => !accepts(reason, value) && !accepts(singleLineText(50), value)));
    expect(accepts(reason, '\n\t\n')).toBe(false);
    expect(accepts(reason, ` ${'a'.repeat(100)} `)).toBe(true);
    expect(accepts(reason, 'a'.repeat(101))).toBe(false);
  });

  it('refuses lone surrogates and noncharacters', () => {
    expect(accepts(reason, 'ok \ud800')).toBe(false);
    expect(accepts(reason, 'ok \udc00 ok')).toBe(false);
    expect(accepts(reason, 'ok \uffff')).toBe(false);
    expect(accepts(reason, 'ok 𠮷')).toBe(true);
  });
});

describe('phoneNumber', () => {
  const digits = (min: number, max: number) =>
    fc.array(fc.constantFrom(...'0123456789'), { minLength: min, maxLength: max }).map((d) => d.join(''));
  const separator = fc.constantFrom('', ' ', '-', ' / ', '/');
  const plausible = fc
    .tuple(fc.boolean(), digits(2, 5), separator, digits(3, 10))
    .map(([plus, area, sep, local]) => `${plus ? '+' : ''}${area}${sep}${local}`);

  it('accepts numbers as people write them', () => {
    fc.assert(fc.property(plausible, (value) => accepts(phoneNumber, value)));
    for (const value of ['+49 231 / 123-456', '0234 123456', '(0231) 12345', '+49 (0)231 123456', '110 12'])
      expect(accepts(phoneNumber, value)).toBe(true);
  });

  it('refuses letters, fewer than 5 digits, a + not in front, and more than 30 characters', () => {
    fc.assert(
      fc.property(plausible, fc.nat(), fc.constantFrom('a', 'x', 'e', '#', '*', '.', '+'), (value, at, other) => {
        const [before, after] = cut(value, at);
        return !accepts(phoneNumber, `1${before}${other}${after}1`);
      }),
    );
    fc.assert(fc.property(digits(0, 4), separator, (value, sep) => !accepts(phoneNumber, `${value}${sep}`)));
    for (const value of ['abc', '1234', '+', '', '--12345', `+${'1'.repeat(30)}`])
      expect(accepts(phoneNumber, value)).toBe(false);
  });
});

describe('dates', () => {
  const now = new Date('2026-06-15T10:00:00.000Z');
  const born = birthDate(() => now);
  const day = (at: Date) => at.toISOString().slice(0, 10);

  it('refuses calendar dates that do not exist', () => {
    const daysIn = (year: number, month: number) => new Date(Date.UTC(year, month, 0)).getUTCDate();
    fc.assert(
      fc.property(fc.integer({ min: 1900, max: 2100 }), fc.integer({ min: 1, max: 12 }), (year, month) => {
        const date = (d: number) => `${year}-${String(month).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
        return (
          accepts(calendarDate, date(daysIn(year, month))) && !accepts(calendarDate, date(daysIn(year, month) + 1))
        );
      }),
    );
    expect(accepts(calendarDate, '2026-02-30')).toBe(false);
    expect(accepts(calendarDate, '2024-02-29')).toBe(true);
  });

  it('accepts birth dates from 1900-01-01 to today, and refuses those before or in the future', () => {
    fc.assert(
      fc.property(fc.date({ min: new Date('1900-01-01T00:00:00Z'), max: now, noInvalidDate: true }), (at) =>
        accepts(born, day(at)),
      ),
    );
    fc.assert(
      fc.property(
        fc.date({ min: new Date('2026-06-17T00:00:00Z'), max: new Date('9999-12-31T00:00:00Z'), noInvalidDate: true }),
        (at) => !accepts(born, day(at)),
      ),
    );
    fc.assert(
      fc.property(
        fc.date({ min: new Date('0001-01-01T00:00:00Z'), max: new Date('1899-12-31T00:00:00Z'), noInvalidDate: true }),
        (at) => !accepts(born, day(at)),
      ),
    );
    for (const value of ['2099-01-01', '0001-01-01', '1899-12-31', '2026-02-30'])
      expect(accepts(born, value)).toBe(false);
    expect(accepts(born, '2026-06-15')).toBe(true);
    expect(accepts(birthDate(), day(new Date()))).toBe(true);
  });

  it('takes a birth date that is already today somewhere on earth, not one that is tomorrow everywhere', () => {
    const lateEvening = () => new Date('2026-06-15T22:30:00.000Z'); // 00:30 on the 16th in Berlin
    expect(accepts(birthDate(lateEvening), '2026-06-16')).toBe(true);
    expect(accepts(birthDate(lateEvening), '2026-06-17')).toBe(false);
  });

  it('accepts upcoming dates from the clock’s day on, and refuses those before it', () => {
    const upcoming = upcomingDate(() => now);
    expect(accepts(upcoming, '2026-06-15')).toBe(true);
    expect(accepts(upcoming, '2026-06-14')).toBe(false);
    fc.assert(
      fc.property(
        fc.date({ min: new Date('1970-01-01T00:00:00Z'), max: new Date('2026-06-14T23:59:59Z'), noInvalidDate: true }),
        (at) => !accepts(upcoming, day(at)),
      ),
    );
  });
});

describe('uniqueList and the disability marks', () => {
  it('refuses a repeated entry, naming the index of the repetition; accepts distinct entries', () => {
    const marks = fc.constantFrom(...DISABILITY_MARKS);
    fc.assert(fc.property(fc.uniqueArray(marks), (distinct) => accepts(disabilityMarks, distinct)));
    fc.assert(
      fc.property(
        fc.uniqueArray(marks, { minLength: 1, maxLength: DISABILITY_MARKS.length - 1 }),
        fc.nat(),
        fc.nat(),
        (distinct, which, at) => {
          const repeated = distinct[which % distinct.length] ?? 'aG';
          const index = (at % distinct.length) + 1;
          const withRepeat = [...distinct.slice(0, index), repeated, ...distinct.slice(index)];
          const result = disabilityMarks.safeParse(withRepeat);
          const second = withRepeat.indexOf(repeated, withRepeat.indexOf(repeated) + 1);
          return !result.success && result.error.issues.some((issue) => issue.path[0] === second);
        },
      ),
    );
    expect(disabilityMarks.safeParse(['aG', 'aG']).error?.issues).toEqual([
      expect.objectContaining({ path: [1], message: 'aG is listed twice' }),
    ]);
  });

  it('bounds the list and works for any primitive entries', () => {
    const sizes = uniqueList(z.number().int(), { min: 1, max: 3 });
    expect(sizes.parse([3, 1, 2])).toEqual([3, 1, 2]);
    expect(accepts(sizes, [])).toBe(false);
    expect(accepts(sizes, [1, 2, 3, 4])).toBe(false);
    expect(sizes.safeParse([1, 2, 1]).error?.issues).toEqual([expect.objectContaining({ path: [2] })]);
  });

  it('refuses a mark not on the closed list', () => {
    expect(accepts(disabilityMarks, ['XX'])).toBe(false);
    expect(accepts(disabilityMarks, ['ag'])).toBe(false);
    expect(accepts(disabilityMarks, [...DISABILITY_MARKS])).toBe(true);
  });
});
