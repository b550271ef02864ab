import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type EventStore,
  PostgresEventStore,
  pgliteSql,
  pgSql,
  type Sql,
  uuidv7,
} from '@buergerkoffer/shared/event-sourcing';
import { KurrentDbEventStore } from '@buergerkoffer/shared/event-sourcing/kurrentdb';
import { type HttpApp, LocalKeys } from '@buergerkoffer/shared/http';
import { buildTestApp, describeWith, type TestApp, useTestDatabase } from '@buergerkoffer/shared/testing';
import { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { definition } from '../service.ts';
import { CaseReferences, formatReference, REFERENCE_ASSIGNED, referenceStream } from './case-reference.ts';

const YEAR = 2026;
const actor = { id: 'agent-1', role: 'intake-agent' };
const numberOf = (reference: string) => Number(reference.split('-')[2]);
const oneTo = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

/** The allocator on any adapter: two of them (two processes) on one store, many openings at once. */
function referencesOnStore(
  label: string,
  open: () => Promise<{ stores: [EventStore, EventStore]; close(): Promise<void> }>,
) {
  describe(`case references on ${label}`, () => {
    let stores: [EventStore, EventStore];
    let close: () => Promise<void>;
    beforeAll(async () => {
      ({ stores, close } = await open());
    });
    afterAll(async () => close());

    it('gives 200 concurrent openings across two allocators 200 distinct numbers, each recorded with its case', async () => {
      const tenantId = `t-${randomBytes(4).toString('hex')}`;
      const allocators = stores.map((store) => new CaseReferences(store));
      const caseIds = Array.from({ length: 200 }, () => uuidv7());
      const references = await Promise.all(
        caseIds.map((caseId, i) => allocators[i % 2]?.assign({ tenantId, caseId, year: YEAR, actor })),
      );
      // Nothing failed, so nothing is missing either: exactly 1…200.
      expect(references.map((r) => numberOf(r ?? '')).sort((a, b) => a - b)).toEqual(oneTo(200));
      const counter = await stores[0].readStream(referenceStream(tenantId, YEAR), { limit: 1_000 });
      expect(counter).toHaveLength(200);
      for (const event of counter) {
        expect(event.type).toBe(REFERENCE_ASSIGNED);
        expect(event.data).toMatchObject({ reference: formatReference(YEAR, event.revision + 1) });
        expect(event.metadata).toMatchObject({ tenantId, caseId: (event.data as { caseId: string }).caseId });
      }
      const assignedTo = new Map(counter.map((e) => [(e.data as { reference: string }).reference, e.metadata.caseId]));
      references.forEach((reference, i) => {
        expect(assignedTo.get(reference ?? '')).toBe(caseIds[i]);
      });
    });

    it('continues a counter the earlier code wrote (one number per event)', async () => {
      const tenantId = `t-${randomBytes(4).toString('hex')}`;
      const stream = referenceStream(tenantId, YEAR);
      for (let revision = 0; revision < 3; revision++) {
        const caseId = uuidv7();
        await stores[0].append(
          stream,
          [
            {
              id: uuidv7(),
              type: REFERENCE_ASSIGNED,
              data: { reference: formatReference(YEAR, revision + 1), caseId },
              metadata: { tenantId, caseId, actor },
            },
          ],
          revision === 0 ? 'no-stream' : { revision: revision - 1 },
        );
      }
      const next = await new CaseReferences(stores[1]).assign({ tenantId, caseId: uuidv7(), year: YEAR, actor });
      expect(next).toBe(formatReference(YEAR, 4));
    });
  });
}

referencesOnStore('PGlite', async () => {
  const sql = pgliteSql(await PGlite.create());
  const first = await PostgresEventStore.open(sql, { ownsConnection: false });
  const second = await PostgresEventStore.open(sql, { ownsConnection: false });
  return { stores: [first, second], close: () => sql.close() };
});

describeWith('postgres', 'on the PostgreSQL server', (serverUrl) => {
  const db = useTestDatabase(serverUrl);
  referencesOnStore('the PostgreSQL server', async () => {
    const first = await PostgresEventStore.connect(db.url);
    const second = await PostgresEventStore.connect(db.url);
    return {
      stores: [first, second],
      close: async () => {
        await first.close();
        await second.close();
      },
    };
  });
});

describeWith('kurrentdb', 'on KurrentDB', (url) => {
  referencesOnStore('KurrentDB', async () => {
    const first = KurrentDbEventStore.connect(url);
    const second = KurrentDbEventStore.connect(url);
    return {
      stores: [first, second],
      close: async () => {
        await first.close();
        await second.close();
      },
    };
  });
});

const openCaseBody = (i: number) => ({
  applicant: {
    givenNames: 'Erika',
    familyName: `Beispiel-${i}`,
    birthDate: '1941-03-12',
    address: { street: 'Hauptstraße', houseNumber: String(1 + i), postalCode: '44787', city: 'Bochum' },
  },
  requestedServices: ['id-card'],
  mobility: { careLevel: 4, disabilityMarks: [], permanentlyHomebound: true },
  channel: 'phone-115',
});

/** Two intake instances on one database (each its own store, pool, allocator, relay): POST /cases over HTTP. */
function openingsOverHttp(label: string, open: () => Promise<{ sqls: [Sql, Sql]; close(): Promise<void> }>) {
  describe(`POST /cases on two intake instances on ${label}`, () => {
    let apps: HttpApp[] = [];
    let fixtures: TestApp[] = [];
    let sqls: [Sql, Sql];
    let close: () => Promise<void>;
    let keys: LocalKeys;
    let dir: string;
    beforeAll(async () => {
      ({ sqls, close } = await open());
      dir = await mkdtemp(join(tmpdir(), 'bk-references-'));
      keys = await LocalKeys.loadOrCreate(dir);
      // Two instances of one deployment: the same signing key and master key, each its own connection.
      const masterKey = randomBytes(32);
      fixtures = [];
      for (const sql of sqls) {
        fixtures.push(await buildTestApp(definition, { sql, tokens: keys, masterKey, http: { rateLimit: false } }));
      }
      apps = fixtures.map((fixture) => fixture.app);
    });
    afterAll(async () => {
      for (const fixture of fixtures) await fixture.close();
      await close();
      await rm(dir, { recursive: true, force: true });
    });

    it('opens 200 cases at once with 200 distinct references, and answers a keyed retry with the same case', async () => {
      const token = await keys.sign({ subject: 'agent-1', tenantId: 'bochum', roles: ['intake-agent'] });
      // Half of the requests carry a key.
      const keyed = (i: number) => i % 4 < 2;
      const post = (i: number, instance = i % 2) =>
        apps[instance]?.inject({
          method: 'POST',
          url: '/cases',
          headers: { authorization: `Bearer ${token}`, ...(keyed(i) ? { 'idempotency-key': `open-${i}` } : {}) },
          payload: openCaseBody(i),
        });
      const all = Array.from({ length: 200 }, (_, i) => i);
      const answers = await Promise.all(all.map((i) => post(i)));
      expect(answers.map((a) => a?.statusCode)).toEqual(all.map(() => 201));
      const opened = answers.map((a) => a?.json() as { caseId: string; reference: string });
      expect(new Set(opened.map((o) => o.reference)).size).toBe(200);
      // Nothing failed, so nothing is missing either: exactly 1…200.
      expect(opened.map((o) => numberOf(o.reference)).sort((a, b) => a - b)).toEqual(oneTo(200));

      // A keyed retry on the other instance, after the idempotency records are gone (as after a crash before the
      // key's completion): the case id derived from the key finds the same case — no new case, no new reference.
      await sqls[0].query('delete from http_idempotency');
      const retried = await Promise.all(
        all.filter(keyed).map(async (i) => ({ i, answer: await post(i, 1 - (i % 2)) })),
      );
      expect(retried).toHaveLength(100);
      for (const { i, answer } of retried) {
        expect(answer?.statusCode).toBe(201);
        expect(answer?.json()).toEqual({ ...opened[i], status: 'open' });
      }
      const [row] = await sqls[0].query<{ opened: number; assigned: number }>(
        `select count(*) filter (where type = 'CaseOpened')::int as opened,
                count(*) filter (where type = 'CaseReferenceAssigned')::int as assigned from es_events`,
      );
      expect(row).toEqual({ opened: 200, assigned: 200 });
    });
  });
}

openingsOverHttp('PGlite', async () => {
  const sql = pgliteSql(await PGlite.create());
  return { sqls: [sql, sql], close: () => sql.close() };
});

describeWith('postgres', 'on the PostgreSQL server', (serverUrl) => {
  const db = useTestDatabase(serverUrl);
  openingsOverHttp('the PostgreSQL server', async () => {
    const first = pgSql(db.url);
    const second = pgSql(db.url);
    return {
      sqls: [first, second],
      close: async () => {
        await first.close();
        await second.close();
      },
    };
  });
});
