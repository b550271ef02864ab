/**
 * `pnpm bench rebuild`: rebuilding every projection of intake and eligibility from the store, against a raw
 * sequential read of the same events in the same run (the floor no rebuild can beat: it has to read them all).
 * Prints events/s of both and the ratio (rebuild / raw read).
 *
 * Seeding: through the real append path — PersonalDataStore (the real protector, a real key per applicant) over
 * PostgresEventStore.append — so the rows are exactly what the system stores (hash chain, case index, sealed
 * fields). A case's events go in four appends of two events; many cases are appended at once, wave by wave, so
 * the cases' events interleave in the global order as they do in operation.
 *
 * Environment: DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres; a database of its own is created
 * and dropped), BENCH_SCALE (default 1 = 1,000,000 events; 0.1 for a quick look).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import * as eligibility from '@buergerkoffer/eligibility/service';
import * as intake from '@buergerkoffer/intake/service';
import {
  type EventToAppend,
  PostgresCheckpointStore,
  PostgresEventStore,
  pgSql,
  rebuildProjections,
  uuidv7,
} from '@buergerkoffer/shared/event-sourcing';
import { PersonalDataStore, PostgresKeyStore } from '@buergerkoffer/shared/privacy';
import { createDatabase } from '@buergerkoffer/shared/testing';
import { allProjections } from './services.ts';

const scale = Number(process.env.BENCH_SCALE ?? '1');
const serverUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const EVENTS_PER_CASE = 8;
const cases = Math.max(1, Math.round((1_000_000 * scale) / EVENTS_PER_CASE));
const PAGE = 5_000;
const tenants = ['bochum', 'herne', 'witten'];
const GIVEN = ['Erika', 'Hans', 'Grete', 'Jürgen', 'Özlem', 'Marie-Luise'];
const FAMILY = ['Mustermann', 'Müller', 'Schmidt', 'Yılmaz', 'Kowalski', 'Beispiel'];

const at = (base: number, minutes: number) => new Date(base + minutes * 60_000).toISOString();

/** One case's appends, in order: [stream, events][] (two events each). */
function caseAppends(i: number): { stream: string; events: EventToAppend[]; personal: 'intake' | 'eligibility' }[] {
  const caseId = uuidv7();
  const subjectId = randomUUID();
  const tenantId = tenants[i % tenants.length] ?? 'bochum';
  const base = Date.UTC(2025, 0, 1) + i * 60_000;
  const agent = { id: `agent-${i % 17}`, role: 'intake-agent' };
  const officer = { id: `officer-${i % 5}`, role: 'eligibility-officer' };
  const meta = (actor: { id: string; role: string }) => ({ tenantId, caseId, actor, correlationId: randomUUID() });
  const ev = (type: string, data: EventToAppend['data'], actor: { id: string; role: string }): EventToAppend => ({
    id: uuidv7(),
    type,
    data,
    metadata: meta(actor),
  });
  const mobility = { careLevel: 3 + (i % 3), disabilityMarks: i % 4 === 0 ? ['aG'] : [], permanentlyHomebound: true };
  const services = i % 2 === 0 ? ['id-card'] : ['id-card', 'registration-certificate'];
  return [
    {
      stream: `intakeCase-${caseId}`,
      personal: 'intake',
      events: [
        ev(
          'CaseOpened',
          {
            caseId,
            reference: `MB-2025-${String(i + 1).padStart(6, '0')}`,
            applicant: {
              subjectId,
              givenNames: GIVEN[i % GIVEN.length] ?? 'Erika',
              familyName: FAMILY[(i >> 3) % FAMILY.length] ?? 'Mustermann',
              birthDate: `19${30 + (i % 60)}-0${1 + (i % 9)}-1${i % 10}`,
              address: {
                street: 'Hauptstraße',
                houseNumber: String(1 + (i % 200)),
                postalCode: '44787',
                city: 'Bochum',
              },
              phone: '+49 234 000000',
            },
            requestedServices: services,
            mobility,
            channel: 'phone-115',
            contactPerson: { name: 'Max Mustermann', relation: 'relative', phone: '+49 234 111111' },
            possibleDuplicateOf: [],
            openedAt: at(base, 0),
          },
          agent,
        ),
        ev(
          'ServicesChanged',
          {
            caseId,
            added: ['passport'],
            removed: [],
            requestedServices: [...services, 'passport'],
            changedAt: at(base, 5),
          },
          agent,
        ),
      ],
    },
    {
      stream: `eligibility-${caseId}`,
      personal: 'eligibility',
      events: [
        ev(
          'AssessmentPrechecked',
          {
            caseId,
            applicantSubjectId: subjectId,
            input: { requestedServices: services, mobility },
            precheck: {
              outcome: i % 3 === 0 ? 'needs-evidence' : 'likely-eligible',
              ruleSetVersion: 1,
              rules: [{ rule: 'care-level-4-or-5', passed: i % 3 !== 0, detail: 'care level stated' }],
            },
            checkedAt: at(base, 1),
          },
          { id: 'eligibility', role: 'system' },
        ),
        ev(
          'EvidenceRequested',
          { caseId, missing: 'care-level-notice', decidedBy: officer.id, decidedAt: at(base, 60) },
          officer,
        ),
      ],
    },
    {
      stream: `intakeCase-${caseId}`,
      personal: 'intake',
      events: [
        ev(
          'EvidenceAttached',
          {
            caseId,
            evidenceId: randomUUID(),
            kind: 'care-level-notice',
            documentReference: `dms://bochum/${caseId}/1`,
            checksum: `sha256:${randomBytes(32).toString('hex')}`,
            attachedAt: at(base, 120),
          },
          agent,
        ),
        i % 10 === 9
          ? ev('CaseWithdrawn', { caseId, reason: 'moved away', withdrawnAt: at(base, 130) }, agent)
          : ev(
              'ContactPersonUpdated',
              {
                caseId,
                subjectId,
                contactPerson: { name: 'Max Mustermann', relation: 'carer', phone: '+49 234 222222' },
                updatedAt: at(base, 130),
              },
              agent,
            ),
      ],
    },
    {
      stream: `eligibility-${caseId}`,
      personal: 'eligibility',
      events: [
        ev(
          'NecessityConfirmed',
          {
            caseId,
            ruleSetVersion: 1,
            reason: 'care level 4 confirmed',
            decidedBy: officer.id,
            decidedAt: at(base, 200),
          },
          officer,
        ),
        ev('AssessmentClosed', { caseId, reason: 'visit done', closedAt: at(base, 3000) }, officer),
      ],
    },
  ];
}

async function time(work: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  await work();
  return Number(process.hrtime.bigint() - start) / 1e9;
}

const fmt = (value: number) => Math.round(value).toLocaleString('en');

async function main() {
  const server = await createDatabase(serverUrl, 'bench_rebuild');
  const sql = pgSql({ connectionString: server.url, max: 8 });
  // Seeding only: appends commit one after the other (the commit-order lock), so a flush to disk per commit would
  // make seeding take many minutes. The rows are the same; the measured part runs with the server's defaults.
  const seedSql = pgSql({ connectionString: server.url, max: 16, options: '-c synchronous_commit=off' });
  try {
    const store = await PostgresEventStore.open(sql);
    const seedStore = await PostgresEventStore.open(seedSql);
    const masterKey = randomBytes(32);
    const writerKeys = await PostgresKeyStore.open(seedSql, masterKey);
    const writers = {
      intake: new PersonalDataStore(seedStore, writerKeys, intake.personalData),
      eligibility: new PersonalDataStore(seedStore, writerKeys, eligibility.personalData),
    };

    const seedSeconds = await time(async () => {
      const wave = 128; // cases in flight
      for (let first = 0; first < cases; first += wave) {
        const batch = Array.from({ length: Math.min(wave, cases - first) }, (_, k) => caseAppends(first + k));
        for (let step = 0; step < 4; step++) {
          await Promise.all(
            batch.map((appends) => {
              const append = appends[step];
              return append ? writers[append.personal].append(append.stream, append.events) : undefined;
            }),
          );
        }
        if (first % 12_800 === 0) process.stderr.write(`\rseeding: ${fmt(first * EVENTS_PER_CASE)} events`);
      }
    });
    await seedStore.close();
    const total = await store.headPosition();
    process.stderr.write(`\rseeded ${fmt(total)} events (${fmt(cases)} cases) in ${seedSeconds.toFixed(1)} s\n`);
    await sql.exec('vacuum analyze');

    const raw = pgSql({ connectionString: server.url, max: 2 });
    const rawRead = async () => {
      let after = 0;
      let read = 0;
      for (;;) {
        const rows = await raw.query<{ position: string }>(
          `select position, id, stream, revision, type, schema_version, data, metadata, recorded_at, hash, prev_hash
             from es_events where position > $1 order by position limit ${PAGE}`,
          [after],
        );
        read += rows.length;
        const last = rows.at(-1);
        if (!last || rows.length < PAGE) break;
        after = Number(last.position);
      }
      if (read !== total) throw new Error(`raw read ${read} of ${total} events`);
    };
    const rebuild = async () => {
      // A cold key store, as in a fresh `pnpm casefile rebuild` process.
      const keyStore = await PostgresKeyStore.open(sql, masterKey);
      const result = await rebuildProjections(
        allProjections({
          store,
          sql,
          checkpoints: new PostgresCheckpointStore(sql),
          keyStore,
          masterKey,
          now: () => new Date(),
        }),
        { pageSize: PAGE },
      );
      if (result.events !== total) throw new Error(`rebuild applied ${result.events} of ${total} events`);
      return result;
    };

    // Alternately, best of each (less noise on a small machine); one round each at full scale.
    const rounds = scale >= 1 ? 1 : 3;
    let rawBest = 0;
    let rebuildBest = 0;
    for (let round = 0; round < rounds; round++) {
      rawBest = Math.max(rawBest, total / (await time(rawRead)));
      rebuildBest = Math.max(rebuildBest, total / (await time(rebuild)));
    }
    const [cases_] = await sql.query<{ n: number }>('select count(*)::int as n from intake_case_list');
    const [queue] = await sql.query<{ n: number }>('select count(*)::int as n from eligibility_assessments');
    if (cases_?.n !== cases || queue?.n !== cases) throw new Error('the projections do not hold every case');
    await raw.close();

    console.log(
      `\nrebuild of every projection (intake:case-list, eligibility:queue) over ${fmt(total)} events, pages of ${fmt(PAGE)}`,
    );
    console.log(`  raw sequential read (pg, all columns)   ${fmt(rawBest).padStart(9)} events/s`);
    console.log(`  rebuildProjections                      ${fmt(rebuildBest).padStart(9)} events/s`);
    console.log(`  ratio (rebuild / raw read)              ${(rebuildBest / rawBest).toFixed(2)}×`);
  } finally {
    await sql.close();
    await server.drop();
  }
}

await main();
