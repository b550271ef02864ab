import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ERASED, isSealed, UNREADABLE } from '../privacy/crypto.ts';
import type { PersonalDataPolicy } from '../privacy/index.ts';
import { EventDecodingError, eventCodec, keyField, upcastFrom } from './codec.ts';
import type { Json, StoredEvent } from './types.ts';

const contact = z.object({ name: z.string().min(1), phone: z.string().optional() });
const memberJoined = z.object({
  type: z.literal('MemberJoined'),
  data: z.object({
    memberId: z.uuid(),
    person: z.object({ subjectId: z.uuid(), name: z.string().min(1), birthDate: z.iso.date() }),
    contact: contact.optional(),
    plan: z.enum(['basic', 'plus']),
    joinedAt: z.iso.datetime(),
  }),
});
const memberLeft = z.object({
  type: z.literal('MemberLeft'),
  data: z.object({ memberId: z.uuid(), reason: z.string(), leftAt: z.iso.datetime() }),
});
const familyRegistered = z.object({
  type: z.literal('FamilyRegistered'),
  data: z.object({
    familyId: z.uuid(),
    members: z.array(z.object({ subjectId: z.uuid(), name: z.string() })).min(1),
  }),
});
const memberEvent = z.discriminatedUnion('type', [memberJoined, memberLeft, familyRegistered]);
const policy = {
  MemberJoined: [{ subject: 'person.subjectId', fields: ['person.name', 'person.birthDate', 'contact'] }],
  FamilyRegistered: [{ each: 'members', subject: 'subjectId', fields: ['name'] }],
} as const satisfies PersonalDataPolicy;

const memberId = '0190c6f0-0000-7000-8000-000000000001';
const subjectId = '0190c6f0-0000-7000-8000-000000000002';
const sealed = (sub = subjectId) => ({ $pd: 'v1', sub, iv: 'aXY=', ct: 'Y3Q=' });
const joined = {
  memberId,
  person: { subjectId, name: 'Erika Mustermann', birthDate: '1931-04-02' },
  contact: { name: 'Hans Beispiel' },
  plan: 'plus',
  joinedAt: '2026-11-02T10:00:00.000Z',
};
let position = 0;
const stored = (type: string, data: Json, schemaVersion = 1): StoredEvent => ({
  id: `0190c6f0-0000-7000-8000-${String(++position).padStart(12, '0')}`,
  type,
  schemaVersion,
  stream: `member-${memberId}`,
  revision: 3,
  position,
  recordedAt: new Date('2026-11-02T10:00:00Z'),
  data,
  metadata: { tenantId: 'bochum' },
  hash: '',
  prevHash: null,
});
const failure = (decode: () => unknown): EventDecodingError => {
  try {
    decode();
  } catch (error) {
    if (error instanceof EventDecodingError) return error;
    throw error;
  }
  throw new Error('decoded without an error');
};

describe('a slice codec on the store with personal data opened', () => {
  const codec = eventCodec(memberEvent, { personal: policy });

  it('answers the domain event, and nothing for a type not of the slice', () => {
    expect(codec.decode(stored('MemberJoined', joined))).toEqual({ type: 'MemberJoined', data: joined });
    expect(codec.decode(stored('InvoiceSent', { memberId }))).toBeUndefined();
    expect([...codec.types]).toEqual(['MemberJoined', 'MemberLeft', 'FamilyRegistered']);
  });

  it('refuses data that does not match, naming stream, revision, type and fields but no value', () => {
    const error = failure(() =>
      codec.decode(stored('MemberJoined', { ...joined, plan: 'Mustermann-gold', person: { subjectId, name: '' } })),
    );
    expect(error).toMatchObject({ stream: `member-${memberId}`, revision: 3, type: 'MemberJoined', schemaVersion: 1 });
    expect(error.fields.map((field) => field.path).sort()).toEqual([
      'data.person.birthDate',
      'data.person.name',
      'data.plan',
    ]);
    expect(error.message).toContain(`MemberJoined (schema version 1) at member-${memberId}@3`);
    expect(error.message).toContain('data.plan (invalid_value)');
    expect(error.message).not.toContain('Mustermann');
  });

  it('accepts "[erased]" and "[unreadable]" at the personal fields whatever their type, and nowhere else', () => {
    const erased = { ...joined, person: { subjectId, name: ERASED, birthDate: ERASED }, contact: UNREADABLE };
    expect(codec.decode(stored('MemberJoined', erased))?.data).toEqual(erased);
    expect(failure(() => codec.decode(stored('MemberJoined', { ...joined, plan: ERASED }))).fields).toEqual([
      { path: 'data.plan', problem: 'invalid_value' },
    ]);
  });

  it('refuses a sealed value: this store opens every personal field', () => {
    expect(
      failure(() => codec.decode(stored('MemberJoined', { ...joined, contact: sealed() }))).fields.map((f) => f.path),
    ).toEqual(['data.contact.name']);
  });
});

describe('a slice codec on the store as stored', () => {
  const codec = eventCodec(memberEvent, { personal: policy });
  const asStored = {
    ...joined,
    person: { subjectId, name: sealed(), birthDate: sealed() },
    contact: sealed(),
  };

  it('accepts sealed values exactly at the fields the policy names', () => {
    expect(codec.sealed.decode(stored('MemberJoined', asStored))?.data).toEqual(asStored);
    const family = { familyId: memberId, members: [{ subjectId, name: sealed() }] };
    expect(codec.sealed.decode(stored('FamilyRegistered', family))?.data).toEqual(family);
    expect(codec.sealed.decode(stored('MemberLeft', { memberId, reason: 'moved', leftAt: joined.joinedAt }))).toEqual({
      type: 'MemberLeft',
      data: { memberId, reason: 'moved', leftAt: joined.joinedAt },
    });
  });

  it('refuses a sealed value anywhere else, and a personal value that is neither sealed nor of its type', () => {
    expect(
      failure(() => codec.sealed.decode(stored('MemberLeft', { memberId, reason: sealed(), leftAt: joined.joinedAt })))
        .fields,
    ).toEqual([{ path: 'data.reason', problem: 'invalid_type' }]);
    expect(
      failure(() => codec.sealed.decode(stored('MemberJoined', { ...asStored, contact: 42 }))).fields.every((field) =>
        field.path.startsWith('data.contact'),
      ),
    ).toBe(true);
  });

  it('reads, as stored, a personal value in clear from before the policy named it: for the reader to leave out', () => {
    const legacy = codec.sealed.decode(stored('MemberJoined', { ...asStored, contact: { name: 'Hans' } }));
    expect(legacy?.type === 'MemberJoined' && legacy.data.contact).toEqual({ name: 'Hans' });
    expect(legacy?.type === 'MemberJoined' && isSealed(legacy.data.contact)).toBe(false);
  });

  it('keeps the checks of a list whose elements are sealed per subject (each)', () => {
    expect(
      failure(() => codec.sealed.decode(stored('FamilyRegistered', { familyId: memberId, members: [] }))).fields,
    ).toEqual([{ path: 'data.members', problem: 'too_small' }]);
  });

  it('without the policy, refuses the same sealed event (control: the policy is what admits it)', () => {
    const blind = eventCodec(memberEvent);
    expect(() => blind.sealed.decode(stored('MemberJoined', asStored))).toThrow(EventDecodingError);
  });

  it('opened in part, reads the opened fields as values and the others sealed', () => {
    const partly = codec.openingOnly({ MemberJoined: ['person.name'] });
    const event = { ...asStored, person: { subjectId, name: 'Erika', birthDate: sealed() } };
    expect(partly.decode(stored('MemberJoined', event))?.data).toEqual(event);
    expect(
      partly.decode(stored('MemberJoined', { ...event, person: { ...event.person, name: ERASED } })),
    ).toBeDefined();
    expect(() => partly.decode(stored('MemberJoined', asStored))).toThrow(EventDecodingError);
  });

  it('is refused at construction when the policy names a field the schema does not have', () => {
    expect(() =>
      eventCodec(memberEvent, { personal: { MemberLeft: [{ subject: 'memberId', fields: ['note'] }] } }),
    ).toThrow('MemberLeft: data.note');
  });
});

describe('upcasters', () => {
  // Version 1 of MemberLeft had `why` and a date only; version 2 renamed it and made it a time.
  const leftV1 = z.object({ memberId: z.uuid(), why: z.string(), on: z.iso.date() });
  const codec = eventCodec(memberEvent, {
    personal: policy,
    upcasters: {
      MemberLeft: [
        upcastFrom(leftV1, (old) => ({ memberId: old.memberId, reason: old.why, leftAt: `${old.on}T00:00:00Z` })),
      ],
    },
  });

  it('bring an older version up to the current schema, and leave the current one as it is', () => {
    expect(codec.schemaVersionOf('MemberLeft')).toBe(2);
    expect(codec.schemaVersionOf('MemberJoined')).toBe(1);
    expect(codec.decode(stored('MemberLeft', { memberId, why: 'moved', on: '2026-11-02' }, 1))).toEqual({
      type: 'MemberLeft',
      data: { memberId, reason: 'moved', leftAt: '2026-11-02T00:00:00Z' },
    });
    const current = { memberId, reason: 'moved', leftAt: '2026-11-02T10:00:00Z' };
    expect(codec.decode(stored('MemberLeft', current, 2))?.data).toEqual(current);
  });

  it('name the fields of an older event that its own schema refuses, and refuse a version newer than known', () => {
    expect(failure(() => codec.decode(stored('MemberLeft', { memberId, why: 'moved' }, 1))).fields).toEqual([
      { path: 'data.on', problem: 'invalid_type' },
    ]);
    // Without the upcaster the version-1 data would be checked against version 2's schema (control).
    expect(() =>
      eventCodec(memberEvent).decode(stored('MemberLeft', { memberId, why: 'moved', on: '2026-11-02' })),
    ).toThrow(EventDecodingError);
    expect(failure(() => codec.decode(stored('MemberLeft', {}, 3))).message).toContain('schema versions up to 2');
  });
});

describe('keyField', () => {
  it('answers a string field of the data, and nothing for another type or a missing field', () => {
    expect(keyField(stored('MemberLeft', { memberId }), 'memberId')).toBe(memberId);
    expect(keyField(stored('MemberLeft', { memberId: 7 }), 'memberId')).toBeUndefined();
    expect(keyField(stored('MemberLeft', [memberId]), '0')).toBeUndefined();
    expect(keyField(stored('MemberLeft', {}), 'toString')).toBeUndefined();
  });
});
