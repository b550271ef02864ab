/** Crypto-shredding on the real engines: no plaintext in the table, before or after erasure; erasure is per subject. */
import { randomBytes } from 'node:crypto';
import { PGlite } from '@electric-sql/pglite';
import { describe, expect, it } from 'vitest';
import { verifyStream } from '../event-sourcing/hashing.ts';
import { uuidv7 } from '../event-sourcing/ids.ts';
import { PostgresEventStore } from '../event-sourcing/postgres/postgres-event-store.ts';
import { pgliteSql, pgSql, type Sql } from '../event-sourcing/postgres/sql.ts';
import { useTestDatabase } from '../testing/postgres.ts';
import { describeWith } from '../testing/requirements.ts';
import { ERASED, UNREADABLE, wrapKey } from './crypto.ts';
import { PostgresKeyStore, SubjectErasedError, subjectKey } from './key-store.ts';
import type { PersonalDataPolicy } from './personal-data-policy.ts';
import { PersonalDataStore } from './personal-data-store.ts';

const policy: PersonalDataPolicy = {
  CaseOpened: [
    {
      subject: 'applicant.subjectId',
      fields: ['applicant.givenNames', 'applicant.familyName', 'applicant.birthDate', 'applicant.address', 'mobility'],
    },
  ],
  GroupRequested: [{ each: 'residents', subject: 'residentId', fields: ['name', 'careLevel'] }],
};
const secrets = ['Erika', 'Mustermann', '1931-04-02', 'Musterstraße', 'Hans Beispiel', 'Grete Probe'];
const tenantId = 'tenant-a';

function privacySuite(open: () => Promise<{ sql: Sql; store: PostgresEventStore }>) {
  it('stores no plaintext of a personal field, reads it back for its subject, and shows [erased] after erasure', async () => {
    const { sql, store: inner } = await open();
    const keys = await PostgresKeyStore.open(sql, randomBytes(32));
    const store = new PersonalDataStore(inner, keys, policy);
    const caseId = uuidv7();
    const applicantId = uuidv7();
    const stream = `intakeCase-${caseId}`;
    await store.append(stream, [
      {
        id: uuidv7(),
        type: 'CaseOpened',
        data: {
          caseId,
          applicant: {
            subjectId: applicantId,
            givenNames: 'Erika',
            familyName: 'Mustermann',
            birthDate: '1931-04-02',
            address: { street: 'Musterstraße 1', postalCode: '12345' },
          },
          mobility: { careLevel: 4, marks: ['aG'] },
          services: ['id-card'],
        },
        metadata: { tenantId, caseId },
      },
    ]);
    const hans = uuidv7();
    const grete = uuidv7();
    await store.append(`institution-${caseId}`, [
      {
        id: uuidv7(),
        type: 'GroupRequested',
        data: {
          residents: [
            { residentId: hans, name: 'Hans Beispiel', careLevel: 5 },
            { residentId: grete, name: 'Grete Probe', careLevel: 3 },
          ],
        },
        metadata: { tenantId, caseId },
      },
    ]);

    const raw = async () =>
      (await sql.query<{ text: string }>('select data::text || metadata::text as text from es_events'))
        .map((r) => r.text)
        .join('\n');
    const before = await raw();
    for (const secret of secrets) expect(before).not.toContain(secret);
    expect(before).toContain('id-card');

    const [opened] = await store.readStream(stream);
    expect(opened?.data).toMatchObject({
      applicant: { givenNames: 'Erika', familyName: 'Mustermann', address: { street: 'Musterstraße 1' } },
      mobility: { careLevel: 4, marks: ['aG'] },
    });

    await keys.erase(tenantId, applicantId);
    await keys.erase(tenantId, hans);
    const [erased] = await store.readStream(stream);
    expect(erased?.data).toEqual({
      caseId,
      applicant: { subjectId: applicantId, givenNames: ERASED, familyName: ERASED, birthDate: ERASED, address: ERASED },
      mobility: ERASED,
      services: ['id-card'],
    });
    const history = await store.readCase(tenantId, caseId);
    expect(history[1]?.data).toEqual({
      residents: [
        { residentId: hans, name: ERASED, careLevel: ERASED },
        { residentId: grete, name: 'Grete Probe', careLevel: 3 },
      ],
    });

    const after = await raw();
    for (const secret of secrets) expect(after).not.toContain(secret);
    expect(await verifyStream(inner, stream)).toMatchObject({ ok: true, events: 1 });
    await expect(
      store.append(stream, [
        {
          id: uuidv7(),
          type: 'CaseOpened',
          data: { applicant: { subjectId: applicantId, givenNames: 'X' } },
          metadata: { tenantId },
        },
      ]),
    ).rejects.toBeInstanceOf(SubjectErasedError);
    await store.close();
  });

  it('treats a re-append of the same events as a replay, and refuses sealed values as input', async () => {
    const { sql, store: inner } = await open();
    const store = new PersonalDataStore(inner, await PostgresKeyStore.open(sql, randomBytes(32)), policy);
    const caseId = uuidv7();
    const stream = `intakeCase-${caseId}`;
    const opened = {
      id: uuidv7(),
      type: 'CaseOpened',
      data: { caseId, applicant: { subjectId: uuidv7(), familyName: 'Mustermann' } },
      metadata: { tenantId, caseId },
    };
    const first = await store.append(stream, [opened], 'no-stream');
    expect(await store.append(stream, [opened], 'no-stream')).toEqual({ ...first, replayed: true });
    const [stored] = await inner.readStream(stream);
    const envelope = (stored?.data as { applicant?: { familyName?: unknown } } | undefined)?.applicant?.familyName;
    await expect(
      store.append(`intakeCase-${uuidv7()}`, [
        { ...opened, id: uuidv7(), data: { caseId, copied: envelope } as never },
      ]),
    ).rejects.toThrow(/sealed values/);
    await store.close();
  });

  it('reads a sealed value moved into another event as [unreadable], without failing the read', async () => {
    const { sql, store: inner } = await open();
    const store = new PersonalDataStore(inner, await PostgresKeyStore.open(sql, randomBytes(32)), policy);
    const subjectId = uuidv7();
    const victim = `intakeCase-${uuidv7()}`;
    const attacker = `intakeCase-${uuidv7()}`;
    const openCase = (familyName: string) => ({
      id: uuidv7(),
      type: 'CaseOpened',
      data: { applicant: { subjectId, familyName } },
      metadata: { tenantId },
    });
    await store.append(victim, [openCase('Mustermann')]);
    await store.append(attacker, [openCase('Nobody')]);
    await sql.query(
      `update es_events set data = jsonb_set(data, '{applicant,familyName}',
         (select data -> 'applicant' -> 'familyName' from es_events where stream = $1)) where stream = $2`,
      [victim, attacker],
    );
    const [read] = await store.readStream(attacker);
    expect(read?.data).toEqual({ applicant: { subjectId, familyName: UNREADABLE } });
    expect((await store.readStream(victim))[0]?.data).toEqual({ applicant: { subjectId, familyName: 'Mustermann' } });
    await store.close();
  });

  it('opens a page of events with one key lookup for all its subjects, erased ones included', async () => {
    const { sql, store: inner } = await open();
    const master = randomBytes(32);
    const writer = new PersonalDataStore(inner, await PostgresKeyStore.open(sql, master), policy);
    const subjects = Array.from({ length: 12 }, () => uuidv7());
    const from = await inner.headPosition(); // earlier tests' events are sealed under other master keys
    for (const [i, subjectId] of subjects.entries()) {
      await writer.append(`intakeCase-${uuidv7()}`, [
        {
          id: uuidv7(),
          type: 'CaseOpened',
          data: { applicant: { subjectId, familyName: `Name ${i}` }, services: ['id-card'] },
          metadata: { tenantId },
        },
        { id: uuidv7(), type: 'ServicesChanged', data: { services: ['passport'] }, metadata: { tenantId } },
      ]);
    }
    await writer.protector.openEvents([]); // nothing to open: no lookup at all
    const erasedSubject = subjects[3] ?? '';
    await (await PostgresKeyStore.open(sql, master)).erase(tenantId, erasedSubject);

    // A cold key store (another process, e.g. `pnpm casefile rebuild`), counting its queries.
    const keyQueries: string[] = [];
    const counting: Sql = {
      ...sql,
      query: (text, params) => {
        if (text.includes('pd_subject_keys')) keyQueries.push(text);
        return sql.query(text, params);
      },
    };
    const reader = new PersonalDataStore(inner, await PostgresKeyStore.open(counting, master), policy);
    keyQueries.length = 0;
    const page = await reader.readAll({ afterPosition: from, limit: 1_000 });
    expect(keyQueries).toHaveLength(1);
    const opened = page.filter((event) => event.type === 'CaseOpened');
    expect(opened.map((event) => (event.data as { applicant: { familyName: string } }).applicant.familyName)).toEqual(
      subjects.map((_, i) => (i === 3 ? ERASED : `Name ${i}`)),
    );
    // The same as opening one event at a time.
    const sealed = await inner.readAll({ afterPosition: from, limit: 1_000 });
    expect(page).toEqual(await Promise.all(sealed.map((event) => reader.protector.openEvent(event))));
    await inner.close();
  });

  it('opens only the fields a reader asks for, leaving the others sealed', async () => {
    const { sql, store: inner } = await open();
    const store = new PersonalDataStore(inner, await PostgresKeyStore.open(sql, randomBytes(32)), policy);
    const from = await inner.headPosition();
    const caseId = uuidv7();
    const [hans, grete] = [uuidv7(), uuidv7()];
    await store.append(`intakeCase-${caseId}`, [
      {
        id: uuidv7(),
        type: 'CaseOpened',
        data: { applicant: { subjectId: uuidv7(), familyName: 'Mustermann', birthDate: '1931-04-02' }, mobility: {} },
        metadata: { tenantId },
      },
      {
        id: uuidv7(),
        type: 'GroupRequested',
        data: {
          residents: [
            { residentId: hans, name: 'Hans Beispiel', careLevel: 5 },
            { residentId: grete, name: 'Grete Probe', careLevel: 3 },
          ],
        },
        metadata: { tenantId },
      },
    ]);
    const narrow = store.openingOnly({ CaseOpened: ['applicant.familyName'], GroupRequested: ['residents.*.name'] });
    type Opened = { applicant: Record<string, unknown>; mobility: unknown };
    type Group = { residents: Record<string, unknown>[] };
    const [opened, group] = (await narrow.readAll({ afterPosition: from })).map((event) => event.data) as [
      Opened,
      Group,
    ];
    expect(opened.applicant.familyName).toBe('Mustermann');
    expect(opened.applicant.birthDate).toMatchObject({ $pd: 'v1' });
    expect(opened.mobility).toMatchObject({ $pd: 'v1' });
    expect(group.residents.map((r) => r.name)).toEqual(['Hans Beispiel', 'Grete Probe']);
    expect(group.residents.map((r) => r.careLevel)).toEqual([
      expect.objectContaining({ $pd: 'v1' }),
      expect.objectContaining({ $pd: 'v1' }),
    ]);
    // What it was not asked for comes back exactly as stored.
    const [stored] = (await inner.readAll({ afterPosition: from })).map((event) => event.data) as [Opened];
    expect(opened.mobility).toEqual(stored.mobility);
    await inner.close();
  });

  it('holds at most maxCached keys in memory, however many subjects it has opened', async () => {
    const { sql, store } = await open();
    const master = randomBytes(32);
    const writer = await PostgresKeyStore.open(sql, master, { cacheMs: 0 });
    for (const subject of ['s-1', 's-2', 's-3', 's-4']) await writer.keyFor(tenantId, subject);
    const bounded = await PostgresKeyStore.open(sql, master, { maxCached: 2 });
    for (const subject of ['s-1', 's-2', 's-3', 's-4']) expect(await bounded.findKey(tenantId, subject)).toBeDefined();
    expect(bounded.cachedKeys).toBe(2);
    const found = await bounded.findKeys?.([1, 2, 3, 4].map((i) => ({ tenantId, subjectId: `s-${i}` })));
    expect([...(found?.values() ?? [])].filter(Boolean)).toHaveLength(4);
    expect(bounded.cachedKeys).toBe(2);
    await store.close();
  });

  it('creates or reads a key in one statement, many in one statement, and seals an append with one key-store call', async () => {
    const { sql, store: inner } = await open();
    const master = randomBytes(32);
    const keyQueries: string[] = [];
    const counting: Sql = {
      ...sql,
      query: (text, params) => {
        if (text.includes('pd_subject_keys')) keyQueries.push(text);
        return sql.query(text, params);
      },
    };
    const keys = await PostgresKeyStore.open(counting, master, { cacheMs: 0 });
    keyQueries.length = 0;
    const first = await keys.keyFor(tenantId, 'one-trip-1');
    expect(keyQueries).toHaveLength(1); // inserted, not looked up first nor read back
    expect(await keys.keyFor(tenantId, 'one-trip-1')).toEqual(first);
    expect(keyQueries).toHaveLength(2); // stored (and not cached): read in one statement, not replaced

    // Five new subjects and the stored one, in one statement; the answers are the stored keys.
    const subjects = ['one-trip-1', ...[2, 3, 4, 5, 6].map((i) => `one-trip-${i}`)].map((subjectId) => ({
      tenantId,
      subjectId,
    }));
    keyQueries.length = 0;
    const created = await keys.keysFor(subjects);
    expect(keyQueries).toHaveLength(1);
    expect(created.size).toBe(6);
    const stored = await keys.findKeys(subjects);
    for (const [id, key] of created) expect(stored.get(id)).toEqual(key);
    expect(created.get(subjectKey(tenantId, 'one-trip-1'))).toEqual(first);

    // An append of a case and a group request (four subjects): one key statement, each field sealed for its own.
    const store = new PersonalDataStore(inner, keys, policy);
    const caseId = uuidv7();
    const [applicant, hans, grete, otto] = [uuidv7(), uuidv7(), uuidv7(), uuidv7()];
    keyQueries.length = 0;
    await store.append(`intakeCase-${caseId}`, [
      {
        id: uuidv7(),
        type: 'CaseOpened',
        data: { caseId, applicant: { subjectId: applicant, familyName: 'Mustermann' } },
        metadata: { tenantId, caseId },
      },
      {
        id: uuidv7(),
        type: 'GroupRequested',
        data: {
          residents: [
            { residentId: hans, name: 'Hans Beispiel', careLevel: 5 },
            { residentId: grete, name: 'Grete Probe', careLevel: 3 },
            { residentId: otto, name: 'Otto Test', careLevel: 4 },
          ],
        },
        metadata: { tenantId, caseId },
      },
    ]);
    expect(keyQueries).toHaveLength(1);
    await keys.erase(tenantId, hans);
    const [opened, group] = await store.readStream(`intakeCase-${caseId}`);
    expect(opened?.data).toEqual({ caseId, applicant: { subjectId: applicant, familyName: 'Mustermann' } });
    expect(group?.data).toEqual({
      residents: [
        { residentId: hans, name: ERASED, careLevel: ERASED },
        { residentId: grete, name: 'Grete Probe', careLevel: 3 },
        { residentId: otto, name: 'Otto Test', careLevel: 4 },
      ],
    });
    await inner.close();
  });

  it('creates no key for an erased subject, also among others in one call', async () => {
    const { sql, store } = await open();
    const keys = await PostgresKeyStore.open(sql, randomBytes(32), { cacheMs: 0 });
    await keys.keyFor(tenantId, 'gone-1');
    await keys.erase(tenantId, 'gone-1');
    await keys.erase(tenantId, 'gone-never-keyed');
    for (const subjectId of ['gone-1', 'gone-never-keyed']) {
      await expect(keys.keyFor(tenantId, subjectId)).rejects.toBeInstanceOf(SubjectErasedError);
      // Alone (keyFor's path) and among others (one statement for all).
      const others = ['alive-1', 'alive-2', 'alive-3'].map((id) => ({ tenantId, subjectId: `${id}-${subjectId}` }));
      await expect(keys.keysFor([{ tenantId, subjectId }])).rejects.toBeInstanceOf(SubjectErasedError);
      await expect(keys.keysFor([...others, { tenantId, subjectId }])).rejects.toBeInstanceOf(SubjectErasedError);
      expect(await keys.findKey(tenantId, subjectId)).toBeUndefined();
    }
    await store.close();
  });

  it('keeps the key table free of usable keys: they are wrapped with the master key', async () => {
    const { sql, store } = await open();
    const master = randomBytes(32);
    const keys = await PostgresKeyStore.open(sql, master, { cacheMs: 0 });
    const key = await keys.keyFor(tenantId, 'subject-1');
    const [row] = await sql.query<{ wrapped_key: Uint8Array }>(
      'select wrapped_key from pd_subject_keys where subject_id = $1',
      ['subject-1'],
    );
    expect(Buffer.from(row?.wrapped_key ?? []).includes(key)).toBe(false);
    const otherMaster = await PostgresKeyStore.open(sql, randomBytes(32), { cacheMs: 0 });
    await expect(otherMaster.findKey(tenantId, 'subject-1')).rejects.toThrow();
    expect(await keys.findKey('tenant-b', 'subject-1')).toBeUndefined();
    await store.close();
  });
}

describe('personal data on PGlite', () => {
  privacySuite(async () => {
    const sql = pgliteSql(await PGlite.create());
    return { sql, store: await PostgresEventStore.open(sql) };
  });
});

describeWith('postgres', 'personal data on the PostgreSQL server', (serverUrl) => {
  const db = useTestDatabase(serverUrl);
  privacySuite(async () => {
    const sql = pgSql(db.url);
    return { sql, store: await PostgresEventStore.open(sql) };
  });

  it.each([
    ['alone (keyFor)', 0],
    ['among others (one statement for all)', 3],
  ])('uses the key another writer stored while it was creating one, %s: theirs stands', async (_, others) => {
    const sql = pgSql(db.url);
    const master = randomBytes(32);
    await PostgresKeyStore.open(sql, master); // the table
    const subjectId = `raced-${uuidv7()}`;
    const theirs = randomBytes(32);
    // The other writer's key, inserted in a transaction still open: our insert waits for it on the conflict, and
    // finds nothing to insert once it commits.
    const tx = await db.pool().connect();
    try {
      await tx.query('begin');
      await tx.query('insert into pd_subject_keys (tenant_id, subject_id, wrapped_key) values ($1, $2, $3)', [
        tenantId,
        subjectId,
        wrapKey(master, tenantId, subjectId, theirs),
      ]);
      const subjects = [subjectId, ...Array.from({ length: others }, (_, i) => `${subjectId}-other-${i}`)];
      const ours = (await PostgresKeyStore.open(sql, master)).keysFor(
        subjects.map((id) => ({ tenantId, subjectId: id })),
      );
      for (;;) {
        const { rows } = await db.pool().query<{ n: string }>(
          `select count(*) as n from pg_stat_activity
              where datname = current_database() and wait_event_type = 'Lock' and query like '%pd_subject_keys%'`,
        );
        if (Number(rows[0]?.n) > 0) break;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      await tx.query('commit');
      const keys = await ours;
      expect(keys.get(subjectKey(tenantId, subjectId))).toEqual(theirs);
      expect(keys.size).toBe(subjects.length);
    } finally {
      tx.release();
      await sql.close();
    }
  });
});
