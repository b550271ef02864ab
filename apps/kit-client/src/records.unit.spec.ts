import type { Manifest } from '@buergerkoffer/shared/contracts';
import { describe, expect, it } from 'vitest';
import { CASE, manifestOf, STAFF, VISIT } from './kit.fixture.ts';
import { summariseManifest } from './pull.command.ts';
import { parseJsonLines } from './record.command.ts';
import {
  buildRecord,
  dayIn,
  describeFieldError,
  isCalendarDate,
  isoWithOffset,
  type RecordContext,
  recordInputFromFlags,
  visitVersionIn,
} from './records.ts';
import { uuidv7 } from './uuidv7.ts';

const context = (manifests: Manifest[]): RecordContext => ({
  submissionId: uuidv7(Date.parse('2026-06-03T07:15:00Z')),
  deviceId: 'bk-03-nb',
  capturedAt: '2026-06-03T09:15:00.000+02:00',
  sequence: 1,
  manifests,
});

const completed = {
  kind: 'service-completed',
  visitId: VISIT,
  recordedBy: STAFF,
  caseId: CASE,
  service: 'id-card',
  feeCents: 3700,
  paymentMethod: 'card',
  producerReference: 'A1234567',
};

describe('a record made on a visit of a pulled manifest', () => {
  it('carries the visit’s version as its baseVersion, and the kit’s id, device, time and number', () => {
    const ctx = context([manifestOf('2026-06-03', 'm-9', 4)]);
    const built = buildRecord(completed, ctx);
    expect(built).toEqual({
      ok: true,
      record: {
        ...completed,
        submissionId: ctx.submissionId,
        deviceId: 'bk-03-nb',
        baseVersion: 4,
        capturedAt: '2026-06-03T09:15:00.000+02:00',
        sequence: 1,
      },
      visitGone: false,
    });
  });

  it('carries the last version the kit saw when the visit has left the manifests held (cancelled, moved)', () => {
    const built = buildRecord(completed, { ...context([]), lastSeenVersion: 3 });
    expect(built).toMatchObject({ ok: true, record: { baseVersion: 3 }, visitGone: true });
  });

  it('takes the highest version of the visit when two manifests held have it (a visit moved to another day)', () => {
    const manifests = [manifestOf('2026-06-03', 'm-9', 4), manifestOf('2026-06-04', 'm-2', 6)];
    expect(visitVersionIn(manifests, VISIT)).toBe(6);
    expect(buildRecord(completed, context(manifests))).toMatchObject({ ok: true, record: { baseVersion: 6 } });
  });
});

describe('a record that cannot be made', () => {
  it('is refused when no manifest held has its visit', () => {
    expect(buildRecord(completed, context([]))).toEqual({
      ok: false,
      errors: [{ field: 'visitId', message: expect.stringContaining('no manifest pulled has this visit') }],
    });
  });

  it('names every field at fault', () => {
    const built = buildRecord(
      { ...completed, feeCents: '37 EUR', paymentMethod: 'cheque' },
      context([manifestOf('2026-06-03', 'm', 1)]),
    );
    expect(built.ok).toBe(false);
    expect(!built.ok && built.errors.map((e) => e.field).sort()).toEqual(['feeCents', 'paymentMethod']);
  });

  it('refuses fields the contract does not have — a photo, a PIN — by name (strict records)', () => {
    const built = buildRecord(
      { kind: 'visit-started', visitId: VISIT, recordedBy: STAFF, photo: 'iVBORw0KGgo=', pin: '123456' },
      context([manifestOf('2026-06-03', 'm', 1)]),
    );
    expect(built).toEqual({
      ok: false,
      errors: [
        { field: 'photo', message: expect.stringContaining('never enter the system') },
        { field: 'pin', message: expect.stringContaining('never enter the system') },
      ],
    });
  });

  it('refuses the fields the kit fills in itself', () => {
    const built = buildRecord(
      { kind: 'visit-ended', visitId: VISIT, recordedBy: STAFF, sequence: 7, submissionId: uuidv7() },
      context([manifestOf('2026-06-03', 'm', 1)]),
    );
    expect(!built.ok && built.errors.map((e) => e.field)).toEqual(['submissionId', 'sequence']);
  });

  it('names an unknown kind, and a line that is not an object', () => {
    const ctx = context([manifestOf('2026-06-03', 'm', 1)]);
    expect(buildRecord({ kind: 'coffee-break', visitId: VISIT, recordedBy: STAFF }, ctx)).toMatchObject({
      ok: false,
      errors: [{ field: 'kind' }],
    });
    expect(buildRecord([1, 2], ctx)).toMatchObject({ ok: false, errors: [{ field: '(record)' }] });
  });

  it('never repeats the values it refuses (a PIN typed into the wrong field stays off the screen)', () => {
    const built = buildRecord(
      { ...completed, producerReference: '123456' },
      context([manifestOf('2026-06-03', 'm', 1)]),
    );
    expect(JSON.stringify(built)).not.toContain('123456');
    const lines = parseJsonLines('{"kind":"visit-started"}\n{"pin": 987654');
    expect(lines.errors).toEqual(['line 2: not valid JSON (one JSON object per line)']);
  });
});

describe('the command line', () => {
  it('makes a device check from --devices camera=ok,printer=faulty', () => {
    const input = recordInputFromFlags('device-check', {
      visit: VISIT,
      by: STAFF,
      phase: 'start',
      devices: 'camera=ok,printer=faulty',
    });
    expect(input).toEqual({
      kind: 'device-check',
      visitId: VISIT,
      recordedBy: STAFF,
      phase: 'start',
      devices: [
        { device: 'camera', status: 'ok' },
        { device: 'printer', status: 'faulty' },
      ],
    });
    expect(buildRecord(input, context([manifestOf('2026-06-03', 'm', 2)]))).toMatchObject({ ok: true });
  });

  it('names the flag a bad field came from, and refuses a flag the kind does not have', () => {
    const input = recordInputFromFlags('visit-started', { visit: VISIT, by: STAFF, fee: '12' });
    const built = buildRecord(input, context([manifestOf('2026-06-03', 'm', 2)]));
    expect(!built.ok && built.errors.map((e) => describeFieldError(e, true))).toEqual([
      'feeCents (--fee): not a field of this record (biometrics, photos and PINs never enter the system)',
    ]);
  });
});

describe('the manifest on screen', () => {
  const manifest = manifestOf('2026-06-03', 'm-9', 4);

  it('shows ids, times and services, and no personal data', () => {
    const text = summariseManifest(manifest, false).join('\n');
    expect(text).toContain(VISIT);
    expect(text).toContain(CASE);
    expect(text).toContain('id-card');
    expect(text).toContain('1 visit, 1 participant');
    for (const personal of ['Erika', 'Mustermann', '1941-08-12', 'Heinrichstraße', 'BK-2026-0042'])
      expect(text).not.toContain(personal);
  });

  it('shows names, birth dates and addresses with --show', () => {
    const text = summariseManifest(manifest, true).join('\n');
    expect(text).toContain('Erika Mustermann, born 1941-08-12, Heinrichstraße 7, 44787 Bochum');
  });
});

describe('days and times', () => {
  it('takes today in Europe/Berlin, not in UTC', () => {
    expect(dayIn(new Date('2026-06-02T22:30:00Z'))).toBe('2026-06-03');
    expect(dayIn(new Date('2026-12-31T22:59:00Z'))).toBe('2026-12-31');
    expect(dayIn(new Date('2026-12-31T23:00:00Z'))).toBe('2027-01-01');
  });

  it('writes the capture time with its offset', () => {
    expect(isoWithOffset(new Date('2026-06-03T07:15:00.123Z'), 120)).toBe('2026-06-03T09:15:00.123+02:00');
    expect(isoWithOffset(new Date('2026-06-03T07:15:00Z'), -150)).toBe('2026-06-03T04:45:00.000-02:30');
  });

  it('takes only real days', () => {
    expect(isCalendarDate('2026-02-28')).toBe(true);
    expect(isCalendarDate('2026-02-29')).toBe(false);
    expect(isCalendarDate('3.6.2026')).toBe(false);
  });

  it('makes version-7 submission ids', () => {
    expect(uuidv7()).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});
