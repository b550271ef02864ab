/**
 * The fieldkit issue's check, end to end: intake, eligibility, scheduling and fieldkit as separate processes on one
 * PostgreSQL database and the Kafka broker; the kit client (`pnpm kit`) as its own process, behind a proxy that cuts
 * the network. The kit pulls its manifests (a group visit of seven residents, and a home visit), the network goes,
 * 30 outcomes of the group visit and two of the home visit are recorded offline, the office cancels the home visit
 * meanwhile, the client is SIGKILLed twice mid-sync — once while it retries against the dead network, once after
 * the server took the batch in but before the answer reached it —, the network comes back, and one sync brings
 * everything: the 30 accepted exactly once, the home visit's two held as conflicts and listed for review. The same
 * batch uploaded again is answered with the first answers.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SyncResponse } from '@buergerkoffer/shared/contracts';
import { LocalKeys, type Role } from '@buergerkoffer/shared/http';
import {
  describeWithAll,
  pollUntil,
  startTcpProxy,
  type TcpProxy,
  useServiceProcesses,
  useTestDatabase,
} from '@buergerkoffer/shared/testing';
import { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const mainOf = (service: string) => join(root, 'services', service, 'src', 'main.ts');
const KIT_CLI = join(root, 'apps', 'kit-client', 'src', 'kit.cli.ts');
/** Where a hop gives up: minutes, for a CI machine twice as slow with a busy core — not a measure of speed. */
const HOP_MS = 120_000;
const HOURS = [{ from: '07:00', to: '19:00' }];
const WEEK = { mon: HOURS, tue: HOURS, wed: HOURS, thu: HOURS, fri: HOURS };
const DEVICES = ['notebook', 'printer', 'scanner', 'fingerprint-sensor', 'signature-pad', 'camera', 'change-terminal'];
const SERVICES = ['id-card', 'life-certificate', 'registration-certificate', 'certified-copy'];
const address = { street: 'Am Park', houseNumber: '3', postalCode: '44787', city: 'Bochum' };

interface Run {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

describeWithAll(['postgres', 'kafka'], 'the kit client through a cut network, killed mid-sync', (urls) => {
  const db = useTestDatabase(urls.postgres);
  const start = useServiceProcesses();
  const tenantId = `t${randomBytes(3).toString('hex')}`;
  let keyDir: string;
  let kitDir: string;
  let keys: LocalKeys;
  let proxy: TcpProxy | undefined;
  const children = new Set<ChildProcess>();
  beforeAll(async () => {
    keyDir = await mkdtemp(join(tmpdir(), 'bk-kit-e2e-keys-'));
    kitDir = await mkdtemp(join(tmpdir(), 'bk-kit-e2e-client-'));
    keys = await LocalKeys.loadOrCreate(keyDir);
  });
  afterAll(async () => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    await proxy?.close();
    for (const dir of [keyDir, kitDir]) if (dir) await rm(dir, { recursive: true, force: true });
  });

  const token = (role: Role, kitId?: string) =>
    keys.sign({
      subject: role === 'kit-device' ? 'kit-session-e2e' : `${role}-e2e`,
      tenantId,
      roles: [role],
      ...(kitId ? { kitId } : {}),
    });
  const call = async (base: string, role: Role, method: string, path: string, body?: unknown, etag?: string) => {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${await token(role)}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(etag === undefined ? {} : { 'if-match': etag }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return {
      status: response.status,
      etag: response.headers.get('etag') ?? '',
      body: text ? JSON.parse(text) : undefined,
    };
  };

  /** The kit client as its own process (`pnpm kit …`); `input` goes to its standard input. */
  let kitEnv: Record<string, string> = {};
  const kit = (args: readonly string[], input?: string) => {
    const child = spawn(process.execPath, [KIT_CLI, ...args], {
      env: { ...process.env, ...kitEnv },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    children.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (chunk) => {
      stdout += String(chunk);
    });
    child.stderr?.on('data', (chunk) => {
      stderr += String(chunk);
    });
    if (input !== undefined) child.stdin?.end(input);
    else child.stdin?.end();
    const done = new Promise<Run>((resolve) =>
      child.once('exit', (code, signal) => {
        children.delete(child);
        resolve({ code, signal, stdout, stderr });
      }),
    );
    return { child, done, stderr: () => stderr };
  };
  const kitOk = async (args: readonly string[], input?: string) => {
    const run = await kit(args, input).done;
    expect(run.code, `pnpm kit ${args.join(' ')}:\n${run.stdout}\n${run.stderr}`).toBe(0);
    return run;
  };

  describe('a day of two visits', () => {
    it('brings 30 outcomes exactly once through a cut network and two SIGKILLs; the cancelled visit’s are held', {
      timeout: 1_200_000,
    }, async () => {
      const env = {
        DATABASE_URL: db.url,
        KAFKA_BROKERS: urls.kafka,
        PD_MASTER_KEY: randomBytes(32).toString('base64'),
        AUTH_MODE: 'local',
        AUTH_LOCAL_KEY_DIR: keyDir,
        RATE_LIMIT_PER_MINUTE: '1000000',
      };
      // One after another: each migrates the shared database on its first start.
      const intake = await start(mainOf('intake'), env);
      const eligibility = await start(mainOf('eligibility'), env);
      const scheduling = await start(mainOf('scheduling'), env);
      const fieldkit = await start(mainOf('fieldkit'), env);
      const processes = { intake, eligibility, scheduling, fieldkit };
      const outputs = () =>
        Object.entries(processes)
          .map(([name, p]) => `--- ${name} ---\n${p.output().slice(-4_000)}`)
          .join('\n');
      const within = <T>(what: string, probe: () => Promise<T>, accept: (value: T) => boolean) =>
        pollUntil(probe, accept, HOP_MS, what).catch((error: unknown) => {
          throw new Error(`${error instanceof Error ? error.message : String(error)}\n${outputs()}`);
        });
      const expectStatus = (answer: { status: number; body: unknown }, status: number, what: string) =>
        expect(answer.status, `${what}: ${JSON.stringify(answer.body)}`).toBe(status);

      // The kit and its team.
      const created = await call(scheduling.url, 'admin', 'POST', '/kits', {
        name: 'Koffer E2E',
        homeOffice: 'Bürgerbüro Mitte',
        devices: DEVICES.map((device) => ({ device })),
      });
      expectStatus(created, 201, 'the kit');
      const kitId: string = created.body.kitId;
      const staffIds: string[] = [];
      for (const displayName of ['Anna E2E', 'Ben E2E']) {
        const staff = await call(scheduling.url, 'admin', 'POST', '/staff', {
          displayName,
          homeOffice: 'Bürgerbüro Mitte',
          workingHours: WEEK,
        });
        expectStatus(staff, 201, 'a member of staff');
        staffIds.push(staff.body.staffId);
      }

      // Seven residents of a care home, four services each; and one person at home.
      const home = await call(intake.url, 'intake-agent', 'POST', '/institutions', {
        name: 'Haus am Park',
        kind: 'care-home',
        address,
        contact: { name: 'Frau Heim' },
      });
      expectStatus(home, 201, 'the institution');
      const residents = Array.from({ length: 7 }, (_, i) => ({
        applicant: { givenNames: 'Bewohner', familyName: `Nummer${i + 1}`, birthDate: `1938-02-0${i + 1}`, address },
        requestedServices: SERVICES,
      }));
      const group = await call(
        intake.url,
        'intake-agent',
        'POST',
        `/institutions/${home.body.institutionId}/group-requests`,
        {
          residents,
        },
      );
      expectStatus(group, 201, 'the group request');
      const single = await call(intake.url, 'intake-agent', 'POST', '/cases', {
        applicant: { givenNames: 'Erika', familyName: 'Zuhause', birthDate: '1941-03-12', address },
        requestedServices: ['id-card'],
        mobility: { careLevel: 5, disabilityMarks: [], permanentlyHomebound: true },
        channel: 'phone-115',
      });
      expectStatus(single, 201, 'the home case');
      const residentCases: string[] = group.body.caseIds;
      const homeCase: string = single.body.caseId;
      for (const caseId of [...residentCases, homeCase]) {
        const assessment = await within(
          `the assessment of ${caseId}`,
          () => call(eligibility.url, 'eligibility-officer', 'GET', `/assessments/${caseId}`),
          (a) => a.status === 200,
        );
        const decided = await call(
          eligibility.url,
          'eligibility-officer',
          'POST',
          `/assessments/${caseId}/decision`,
          { outcome: 'approve' },
          assessment.etag,
        );
        expectStatus(decided, 200, `the approval of ${caseId}`);
      }
      const book = async (query: string, caseIds: readonly string[], place: object) => {
        const proposals = await within(
          `proposals for ${query}`,
          () => call(scheduling.url, 'scheduler', 'GET', `/proposals?${query}&limit=1`),
          (p) => p.status === 200 && caseIds.every((id) => p.body.proposals[0]?.caseIds.includes(id)),
        );
        const [slot] = proposals.body.proposals;
        const booked = await call(scheduling.url, 'scheduler', 'POST', '/visits', {
          caseIds,
          kitId: slot.kitId,
          staffIds: slot.staffIds,
          start: slot.start,
          end: slot.end,
          place,
        });
        expectStatus(booked, 201, `the booking for ${query}`);
        return { visitId: booked.body.visitId as string, date: slot.date as string, etag: booked.etag };
      };
      const groupVisit = await book(`groupRequestId=${group.body.groupRequestId}`, residentCases, {
        kind: 'institution',
        institutionId: home.body.institutionId,
        address: 'Am Park 3, 44787 Bochum',
      });
      const homeVisit = await book(`caseId=${homeCase}`, [homeCase], {
        kind: 'home',
        address: 'Am Park 3, 44787 Bochum',
      });

      // The kit's manifests, once fieldkit has heard of both visits and everyone on them.
      const dates = [...new Set([groupVisit.date, homeVisit.date])];
      const kitToken = await token('kit-device', kitId);
      const manifestOf = async (date: string) => {
        const response = await fetch(`${fieldkit.url}/kits/${kitId}/manifest?date=${date}`, {
          headers: { authorization: `Bearer ${kitToken}` },
        });
        type ManifestVisit = { visitId: string; version: number; participants: { familyName: string }[] };
        const body = response.status === 200 ? ((await response.json()) as { visits: ManifestVisit[] }) : undefined;
        return { status: response.status, body };
      };
      for (const [visit, people] of [
        [groupVisit, residentCases.length],
        [homeVisit, 1],
      ] as const) {
        await within(
          `visit ${visit.visitId} in the manifest`,
          () => manifestOf(visit.date),
          (m) =>
            true ===
            m.body?.visits.some(
              (v: { visitId: string; participants: { familyName: string }[] }) =>
                v.visitId === visit.visitId &&
                v.participants.length === people &&
                v.participants.every((p) => p.familyName !== '[withheld]'),
            ),
        );
      }

      // The kit pulls its day through the proxy, then the network goes.
      proxy = await startTcpProxy({ host: '127.0.0.1', port: Number(new URL(fieldkit.url).port) });
      kitEnv = {
        KIT_URL: proxy.url,
        KIT_TOKEN: kitToken,
        KIT_ID: kitId,
        KIT_DEVICE_ID: 'bk-e2e-nb',
        KIT_DATA_DIR: kitDir,
      };
      for (const date of dates) await kitOk(['pull', '--date', date]);
      proxy.mode('down');

      // 30 outcomes of the group visit, two of the home visit, recorded offline.
      const [anna] = staffIds;
      const lines = [
        { kind: 'visit-started', visitId: groupVisit.visitId, recordedBy: anna },
        ...residentCases.flatMap((caseId, i) =>
          SERVICES.map((service, j) =>
            i === 6 && j === 0
              ? {
                  kind: 'service-not-completed',
                  visitId: groupVisit.visitId,
                  recordedBy: anna,
                  caseId,
                  service,
                  reason: 'missing-document',
                }
              : {
                  kind: 'service-completed',
                  visitId: groupVisit.visitId,
                  recordedBy: anna,
                  caseId,
                  service,
                  feeCents: service === 'id-card' ? 3700 : 0,
                  paymentMethod: service === 'id-card' ? 'card' : 'none',
                  ...(service === 'id-card' ? { producerReference: `L01X00T4${i}` } : {}),
                },
          ),
        ),
        { kind: 'visit-ended', visitId: groupVisit.visitId, recordedBy: anna },
      ];
      expect(lines).toHaveLength(30);
      const homeLines = [
        { kind: 'visit-started', visitId: homeVisit.visitId, recordedBy: anna },
        {
          kind: 'service-completed',
          visitId: homeVisit.visitId,
          recordedBy: anna,
          caseId: homeCase,
          service: 'id-card',
          producerReference: 'L01X00T99',
          feeCents: 3700,
          paymentMethod: 'cash',
        },
      ];
      const recorded = await kitOk(
        ['record', '--jsonl', '-'],
        [...lines, ...homeLines].map((l) => JSON.stringify(l)).join('\n'),
      );
      const submissionIds = recorded.stdout.trim().split('\n').filter(Boolean);
      expect(submissionIds).toHaveLength(32);

      // The office cancels the home visit meanwhile.
      const visit = await call(scheduling.url, 'scheduler', 'GET', `/visits/${homeVisit.visitId}`);
      const cancelled = await call(
        scheduling.url,
        'scheduler',
        'POST',
        `/visits/${homeVisit.visitId}/cancel`,
        { reason: 'citizen-request' },
        visit.etag,
      );
      expectStatus(cancelled, 200, 'the cancellation');
      await within(
        'the cancellation in fieldkit',
        () => manifestOf(homeVisit.date),
        (m) => m.body !== undefined && !m.body.visits.some((v) => v.visitId === homeVisit.visitId),
      );

      // Killed once while it retries against the dead network…
      const first = kit(['sync', '--deadline', '600']);
      await within(
        'the client to meet the dead network',
        async () => first.stderr(),
        (text) => /retry|unreachable|network/i.test(text),
      );
      first.child.kill('SIGKILL');
      expect((await first.done).signal).toBe('SIGKILL');
      // …and once after the server took the batch in, before the answer reached it.
      proxy.mode('hold');
      const second = kit(['sync', '--deadline', '600']);
      await within(
        'the server’s answer to be on its way',
        async () => proxy?.heldBytes() ?? 0,
        (bytes) => bytes > 0,
      );
      second.child.kill('SIGKILL');
      expect((await second.done).signal).toBe('SIGKILL');

      // The network back: one sync brings what is left.
      proxy.mode('up');
      await kitOk(['sync', '--deadline', '600']);
      const status = JSON.parse((await kitOk(['status', '--json'])).stdout);
      expect(status.pending).toBe(0);

      // Exactly once on the server: 30 records of the group visit taken in, none twice.
      const counted = await db
        .pool()
        .query<{ type: string; n: string }>(
          `select type, count(*) as n from es_events where stream = $1 and type not like 'Kit%' group by type order by type`,
          [`fieldVisit-${groupVisit.visitId}`],
        );
      expect(Object.fromEntries(counted.rows.map((r) => [r.type, Number(r.n)]))).toEqual({
        FieldVisitEnded: 1,
        FieldVisitStarted: 1,
        ServiceCompleted: 27,
        ServiceNotCompleted: 1,
      });
      // The cancelled visit's two held for review, listed there.
      const conflicts = await within(
        'the held records in the review list',
        () => call(fieldkit.url, 'scheduler', 'GET', `/conflicts?visitId=${homeVisit.visitId}`),
        (c) => c.status === 200 && c.body.items.length === 2,
      );
      expect(conflicts.body.items.map((c: { severity: string; fields: string[] }) => [c.severity, c.fields])).toEqual([
        ['hard', ['status']],
        ['hard', ['status']],
      ]);

      // The same batch uploaded again: the first answers.
      const local = await PGlite.create(kitDir);
      const { rows } = await local.query<{ record: Record<string, unknown>; answer: Record<string, unknown> }>(
        'select record, answer from queue order by seq',
      );
      await local.close();
      expect(rows).toHaveLength(32);
      const again = await fetch(`${fieldkit.url}/kits/${kitId}/sync`, {
        method: 'POST',
        headers: { authorization: `Bearer ${kitToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ items: rows.map((r) => r.record) }),
      });
      expect(again.status).toBe(200);
      const answers = (await again.json()) as SyncResponse;
      expect(answers.counts).toMatchObject({ duplicate: 32 });
      const firsts = answers.results.map((r): { status: string } => (r.status === 'duplicate' ? r.first : r));
      expect(firsts.filter((f) => f.status === 'accepted')).toHaveLength(30);
      expect(firsts.filter((f) => f.status === 'recorded-as-conflict')).toHaveLength(2);
      for (const [i, row] of rows.entries()) expect(firsts[i]).toMatchObject({ status: row.answer.status });
    });
  });
});
