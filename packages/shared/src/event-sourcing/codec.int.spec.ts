/** The codec on events sealed by the real PersonalDataStore (in-memory PGlite): as stored, opened, in part, erased. */
import { randomBytes } from 'node:crypto';
import { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ERASED } from '../privacy/crypto.ts';
import type { PersonalDataPolicy } from '../privacy/index.ts';
import { PostgresKeyStore } from '../privacy/key-store.ts';
import { PersonalDataStore } from '../privacy/personal-data-store.ts';
import { EventDecodingError, eventCodec } from './codec.ts';
import { uuidv7 } from './ids.ts';
import { PostgresEventStore } from './postgres/postgres-event-store.ts';
import { pgliteSql, type Sql } from './postgres/sql.ts';

const address = z.object({ street: z.string().min(1), city: z.string().min(1) });
const memberEvent = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('MemberJoined'),
    data: z.object({
      memberId: z.uuid(),
      person: z.object({ subjectId: z.uuid(), name: z.string().min(1), birthDate: z.iso.date(), address }),
      phone: z.string().optional(),
      plan: z.enum(['basic', 'plus']),
    }),
  }),
  z.object({
    type: z.literal('FamilyRegistered'),
    data: z.object({
      familyId: z.uuid(),
      members: z.array(z.object({ subjectId: z.uuid(), name: z.string(), careLevel: z.number().int() })).min(1),
    }),
  }),
]);
const policy = {
  MemberJoined: [
    { subject: 'person.subjectId', fields: ['person.name', 'person.birthDate', 'person.address', 'phone'] },
  ],
  FamilyRegistered: [{ each: 'members', subject: 'subjectId', fields: ['name', 'careLevel'] }],
} as const satisfies PersonalDataPolicy;
const codec = eventCodec(memberEvent, { personal: policy });
const tenantId = 'bochum';

describe('a slice codec over the PersonalDataStore', () => {
  let sql: Sql;
  let inner: PostgresEventStore;
  let keys: PostgresKeyStore;
  let store: PersonalDataStore;
  const memberId = uuidv7();
  const subjectId = uuidv7();
  const stream = `member-${memberId}`;
  const joined = {
    memberId,
    person: {
      subjectId,
      name: 'Erika Mustermann',
      birthDate: '1931-04-02',
      address: { street: 'Hauptstr. 5', city: 'Bochum' },
    },
    phone: '0234 123456',
    plan: 'plus',
  };
  const hans = uuidv7();
  const grete = uuidv7();
  const family = {
    familyId: memberId,
    members: [
      { subjectId: hans, name: 'Hans Beispiel', careLevel: 4 },
      { subjectId: grete, name: 'Grete Probe', careLevel: 2 },
    ],
  };

  beforeAll(async () => {
    sql = pgliteSql(await PGlite.create());
    inner = await PostgresEventStore.open(sql);
    keys = await PostgresKeyStore.open(sql, randomBytes(32));
    store = new PersonalDataStore(inner, keys, policy);
    await store.append(stream, [
      { id: uuidv7(), type: 'MemberJoined', data: joined, metadata: { tenantId } },
      { id: uuidv7(), type: 'FamilyRegistered', data: family, metadata: { tenantId } },
    ]);
  }, 60_000);
  afterAll(async () => {
    await inner.close();
    await sql.close();
  });

  it('decodes the events as stored, every personal field sealed and nothing in clear', async () => {
    const [member, registered] = (await inner.readStream(stream)).map((event) => codec.sealed.decode(event));
    expect(member?.type).toBe('MemberJoined');
    if (member?.type !== 'MemberJoined') return;
    expect(member.data).toMatchObject({ memberId, plan: 'plus', person: { subjectId } });
    for (const sealed of [member.data.person.name, member.data.person.address, member.data.phone]) {
      expect(sealed).toMatchObject({ $pd: 'v1', sub: subjectId });
    }
    expect(JSON.stringify(registered)).not.toMatch(/Hans|Grete|Mustermann|Hauptstr/);
    expect(registered?.type === 'FamilyRegistered' && registered.data.members.map((m) => m.name.sub)).toEqual([
      hans,
      grete,
    ]);
  });

  it('refuses the sealed events where the store should have opened them (control), and decodes them opened', async () => {
    const [asStored] = await inner.readStream(stream);
    if (!asStored) throw new Error('no event');
    expect(() => codec.decode(asStored)).toThrow(EventDecodingError);
    const opened = (await store.readStream(stream)).map((event) => codec.decode(event));
    expect(opened).toEqual([
      { type: 'MemberJoined', data: joined },
      { type: 'FamilyRegistered', data: family },
    ]);
  });

  it('decodes what a store opening only some fields reads', async () => {
    const only = { MemberJoined: ['person.name', 'person.birthDate'] } as const;
    const [member] = (await store.openingOnly(only).readStream(stream)).map((event) =>
      codec.openingOnly(only).decode(event),
    );
    if (member?.type !== 'MemberJoined') throw new Error('not decoded');
    expect(member.data.person).toMatchObject({ name: 'Erika Mustermann', birthDate: '1931-04-02' });
    expect(member.data.person.address).toMatchObject({ $pd: 'v1' });
  });

  it('still decodes the events once a subject is erased, its fields "[erased]"', async () => {
    await keys.erase(tenantId, subjectId);
    await keys.erase(tenantId, hans);
    const [member, registered] = (await store.readStream(stream)).map((event) => codec.decode(event));
    expect(member?.data).toMatchObject({
      person: { subjectId, name: ERASED, birthDate: ERASED, address: ERASED },
      phone: ERASED,
      plan: 'plus',
    });
    expect(registered?.data).toEqual({
      familyId: memberId,
      members: [
        { subjectId: hans, name: ERASED, careLevel: ERASED },
        { subjectId: grete, name: 'Grete Probe', careLevel: 2 },
      ],
    });
    // As stored, nothing changed with the erasure: the same sealed values decode as before.
    expect((await inner.readStream(stream)).map((event) => codec.sealed.decode(event)?.type)).toEqual([
      'MemberJoined',
      'FamilyRegistered',
    ]);
  });
});
