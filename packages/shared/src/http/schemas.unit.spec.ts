import { describe, expect, it } from 'vitest';
import { strictDate, strictInstant } from './schemas.ts';

describe('strictInstant', () => {
  it('accepts an instant with Z or an offset, with or without seconds and fractions, as sent', () => {
    for (const value of [
      '2026-11-25T10:00:00Z',
      '2026-11-25T10:00Z',
      '2026-11-25T10:00:00.123Z',
      '2026-11-25T10:00:00.123456789Z',
      '2026-11-25T11:00:00+01:00',
      '2026-11-25T04:30:00-05:30',
      '2024-02-29T23:59:59Z', // a leap day
      '2000-02-29T00:00:00Z', // divisible by 400: a leap year
      '0001-01-01T00:00:00Z',
      new Date(Date.UTC(2026, 0, 1, 12)).toISOString(),
    ]) {
      expect(strictInstant.safeParse(value), value).toEqual({ success: true, data: value });
    }
  });

  it('refuses a day or time that does not exist, which Date.parse would roll over', () => {
    // The control: Date reads the first of these as 2 March.
    expect(new Date('2026-02-30T10:00:00Z').toISOString()).toBe('2026-03-02T10:00:00.000Z');
    for (const value of [
      '2026-02-30T10:00:00Z',
      '2026-02-29T10:00:00Z', // 2026 is no leap year
      '1900-02-29T10:00:00Z', // divisible by 100, not by 400
      '2026-04-31T10:00:00Z',
      '2026-13-01T10:00:00Z',
      '2026-00-10T10:00:00Z',
      '2026-01-00T10:00:00Z',
      '2026-01-01T24:00:00Z',
      '2026-01-01T10:60:00Z',
      '2026-12-31T23:59:60Z', // a leap second: no Date holds it
      '2026-01-01T10:00:00+24:00',
      '2026-01-01T10:00:00+01:60',
    ]) {
      expect(strictInstant.safeParse(value).success, value).toBe(false);
    }
  });

  it('refuses other spellings: no zone, a date alone, lower case, a basic-format offset, loose text', () => {
    for (const value of [
      '2026-11-25T10:00:00',
      '2026-11-25',
      '2026-11-25t10:00:00z',
      '2026-11-25 10:00:00Z',
      '2026-11-25T10:00:00+0100',
      '2026-11-25T10:00:00.Z',
      '2026-11-25T10:00:00.1234567890Z',
      '+002026-11-25T10:00:00Z',
      ' 2026-11-25T10:00:00Z',
      '2026-11-25T10:00:00Z ',
      'Wed, 25 Nov 2026 10:00:00 GMT',
      'yesterday',
      '1700000000',
      '',
    ]) {
      expect(strictInstant.safeParse(value).success, value).toBe(false);
    }
  });
});

describe('strictDate', () => {
  it('accepts a calendar date that exists, as sent', () => {
    for (const value of ['2026-11-25', '2024-02-29', '2000-02-29', '1941-03-12', '2026-12-31']) {
      expect(strictDate.safeParse(value), value).toEqual({ success: true, data: value });
    }
  });

  it('refuses a date that does not exist, and anything but YYYY-MM-DD', () => {
    for (const value of [
      '2026-02-30',
      '2026-02-29',
      '1900-02-29',
      '2026-06-31',
      '2026-13-01',
      '2026-00-01',
      '2026-01-00',
      '2026-1-5',
      '26-01-05',
      '2026/01/05',
      '2026-01-05T00:00:00Z',
      '20260105',
      '',
    ]) {
      expect(strictDate.safeParse(value).success, value).toBe(false);
    }
  });
});
