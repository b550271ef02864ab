/** The kit's records refuse biometrics, photos and PINs by schema, with realistic payloads; valid records pass. */
import { describe, expect, it } from 'vitest';
import { uuidv7 } from '../event-sourcing/ids.ts';
import { producerReferenceSchema, resolveConflictBody, syncRecord, syncRequest } from './fieldkit-api.ts';

const base = () => ({
  submissionId: uuidv7(),
  deviceId: 'bk-03-nb',
  baseVersion: 2,
  capturedAt: '2026-12-03T10:15:00+01:00',
  sequence: 17,
  visitId: uuidv7(),
  recordedBy: uuidv7(),
});
const completed = () => ({
  ...base(),
  kind: 'service-completed',
  caseId: uuidv7(),
  service: 'id-card',
  producerReference: 'L01X00T47',
  feeCents: 3700,
  paymentMethod: 'card',
});
// What a camera, a fingerprint sensor and a PIN pad hand over (shortened, but of the real formats).
const JPEG = `data:image/jpeg;base64,/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAgGBgcGBQgHBwcJCQgKDBQNDAsLDBkSEw8UHRofHh0aHBwgJC4nICIsIxwcKDcpLDAxNDQ0Hyc5PTgyPC4zNDL/2wBDAQkJCQwLDBgNDRgyIRwhMjIyMjIyMjIy`;
const WSQ = 'ff a0 ff a8 00 7a 4e 49 53 54 5f 43 4f 4d 20 39 0a 50 49 58 5f 57 49 44 54 48 20 35 30 30';
const ISO_19794 = Buffer.from('464d520020323000000001e2000001f401f400c500c5010000005a2c').toString('base64');

const fieldsOf = (value: unknown) => {
  const parsed = syncRecord.safeParse(value);
  if (parsed.success) return [];
  return parsed.error.issues.flatMap((issue) =>
    issue.code === 'unrecognized_keys' ? issue.keys : [issue.path.join('.')],
  );
};

describe('the sync record contract', () => {
  it('takes each kind of valid record', () => {
    for (const record of [
      { ...base(), kind: 'visit-started' },
      { ...base(), kind: 'visit-ended' },
      { ...base(), kind: 'device-check', phase: 'start', devices: [{ device: 'camera', status: 'faulty' }] },
      completed(),
      { ...completed(), producerReference: undefined, service: 'certified-copy', feeCents: 0, paymentMethod: 'none' },
      { ...base(), kind: 'service-not-completed', caseId: uuidv7(), service: 'passport', reason: 'person-unable' },
    ])
      expect(fieldsOf(record)).toEqual([]);
  });

  it.each([
    ['a photo', { photo: JPEG }, 'photo'],
    ['a portrait under another name', { image: JPEG }, 'image'],
    ['a fingerprint (WSQ)', { fingerprint: WSQ }, 'fingerprint'],
    [
      'fingerprint minutiae (ISO 19794-2)',
      { fingerprints: [{ finger: 'right-index', template: ISO_19794 }] },
      'fingerprints',
    ],
    ['a PIN', { pin: '123456' }, 'pin'],
    ['a signature image', { signature: JPEG }, 'signature'],
  ])('refuses %s by name', (_, extra, field) => {
    expect(fieldsOf({ ...completed(), ...extra })).toContain(field);
  });

  it.each([
    ['image data', JPEG],
    ['a PIN (digits only)', '123456'],
    ['a long base64 blob', ISO_19794.repeat(3)],
    ['spaces', 'L01 X00 T47'],
  ])('refuses %s in the producer reference', (_, value) => {
    expect(producerReferenceSchema.safeParse(value).success).toBe(false);
    expect(fieldsOf({ ...completed(), producerReference: value })).toEqual(['producerReference']);
  });

  it('refuses a submission id that is not a UUIDv7, a sequence below 1, a device check naming a device twice', () => {
    expect(fieldsOf({ ...completed(), submissionId: '6ba7b810-9dad-41d1-80b4-00c04fd430c8' })).toEqual([
      'submissionId',
    ]);
    expect(fieldsOf({ ...completed(), sequence: 0 })).toEqual(['sequence']);
    const twice = [
      { device: 'camera', status: 'ok' },
      { device: 'camera', status: 'faulty' },
    ];
    expect(fieldsOf({ ...base(), kind: 'device-check', phase: 'end', devices: twice })).toEqual(['devices']);
  });

  it('bounds a batch, and asks merge for its fields (and only merge)', () => {
    expect(syncRequest.safeParse({ items: [] }).success).toBe(false);
    expect(syncRequest.safeParse({ items: Array.from({ length: 1_001 }, () => ({})) }).success).toBe(false);
    expect(resolveConflictBody.safeParse({ resolution: 'merge', reason: 'other' }).success).toBe(false);
    expect(
      resolveConflictBody.safeParse({ resolution: 'accept-kit', reason: 'other', merge: { feeCents: 1 } }).success,
    ).toBe(false);
    expect(
      resolveConflictBody.safeParse({ resolution: 'merge', reason: 'kit-data-corrected', merge: { feeCents: 2280 } })
        .success,
    ).toBe(true);
  });
});
