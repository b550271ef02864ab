/**
 * The scheduling issue's check: intake, eligibility, scheduling and casefile as separate processes on one PostgreSQL
 * database and the Kafka broker. A case opened at intake and approved at eligibility reaches scheduling's queue over
 * the bus; its first proposal is booked as a home visit; casefile's history of the case lists the booking and the
 * state shows the visit planned; scheduling.visit.v1 carries the planned visit keyed by the case, without its
 * address. The case withdrawn at intake leaves the visit — the last participant, so the visit is cancelled — and the
 * queue. Prints how long each hop took.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  fromKafkaRecord,
  SCHEDULING_VISIT_TOPIC,
  schedulingVisitContracts,
  schedulingVisitPlannedV1,
} from '@buergerkoffer/shared/contracts';
import { LocalKeys, type Role } from '@buergerkoffer/shared/http';
import { type Consumer, type IncomingMessage, KafkaEventBus } from '@buergerkoffer/shared/messaging';
import { describeWithAll, pollUntil, useServiceProcesses, useTestDatabase } from '@buergerkoffer/shared/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALL_DEVICES, FULL_WEEK } from './scheduling.fixture.ts';

const mainOf = (service: string) => fileURLToPath(new URL(`../../${service}/src/main.ts`, import.meta.url));
const ADDRESS = 'Hauptstraße 5, 44787 Bochum';
const AUDIT = 'purpose=audit&reference=Revision%202027%2F03';
/** Where a hop gives up: minutes, for a CI machine twice as slow with a busy core — not a measure of speed. */
const HOP_MS = 120_000;

interface HistoryEvent {
  readonly position: number;
  readonly service: string;
  readonly type: string;
}

describeWithAll(['postgres', 'kafka'], 'intake, eligibility and scheduling as separate processes', (urls) => {
  const db = useTestDatabase(urls.postgres);
  const start = useServiceProcesses();
  const tenantId = `t${randomBytes(3).toString('hex')}`;
  let keyDir: string;
  let keys: LocalKeys;
  let bus: KafkaEventBus | undefined;
  let reader: Consumer | undefined;
  beforeAll(async () => {
    keyDir = await mkdtemp(join(tmpdir(), 'bk-scheduling-e2e-'));
    // Made before the services start, so that they all load the same signing key.
    keys = await LocalKeys.loadOrCreate(keyDir);
  });
  afterAll(async () => {
    await reader?.stop();
    await bus?.close();
    if (keyDir) await rm(keyDir, { recursive: true, force: true });
  });

  const call = async (base: string, role: Role, method: string, path: string, body?: unknown, etag?: string) => {
    const token = await keys.sign({ subject: `${role}-e2e`, tenantId, roles: [role] });
    const response = await fetch(`${base}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
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
  type Answer = Awaited<ReturnType<typeof call>>;
  const expectStatus = (answer: Answer, status: number, what: string) =>
    expect(answer.status, `${what}: ${JSON.stringify(answer.body)}`).toBe(status);

  describe('an approved case, booked on its first proposal, then withdrawn', () => {
    it('is proposed, booked and shown in its history; the withdrawal cancels the visit and clears the queue', {
      timeout: 900_000,
    }, async () => {
      const began = performance.now();
      const timings: string[] = [];
      let last = began;
      const lap = (what: string) => {
        const now = performance.now();
        timings.push(`${what}: ${((now - last) / 1000).toFixed(1)} s`);
        last = now;
      };

      const env = {
        DATABASE_URL: db.url,
        KAFKA_BROKERS: urls.kafka,
        // One key store for all: casefile opens what intake and scheduling sealed.
        PD_MASTER_KEY: randomBytes(32).toString('base64'),
        AUTH_MODE: 'local',
        AUTH_LOCAL_KEY_DIR: keyDir,
        // The test polls several times a second: keep the per-client limit out of the way.
        RATE_LIMIT_PER_MINUTE: '1000000',
      };
      // One after another: each migrates the shared database on its first start.
      const intake = await start(mainOf('intake'), env);
      const eligibility = await start(mainOf('eligibility'), env);
      const scheduling = await start(mainOf('scheduling'), env);
      const casefile = await start(mainOf('casefile'), env);
      const processes = { intake, eligibility, scheduling, casefile };
      lap('four processes up');
      const outputs = () =>
        Object.entries(processes)
          .map(([name, p]) => `--- ${name} ---\n${p.output().slice(-4_000)}`)
          .join('\n');
      const within = <T>(what: string, probe: () => Promise<T>, accept: (value: T) => boolean) =>
        pollUntil(probe, accept, HOP_MS, what).catch((error: unknown) => {
          throw new Error(`${error instanceof Error ? error.message : String(error)}\n${outputs()}`);
        });

      // The resources a visit needs: a kit with every device, two field staff working Mon–Fri 08:00–16:00.
      const kit = await call(scheduling.url, 'admin', 'POST', '/kits', {
        name: 'Koffer E2E',
        homeOffice: 'Bürgerbüro Mitte',
        devices: ALL_DEVICES,
      });
      expectStatus(kit, 201, 'POST /kits');
      const staff = [];
      for (const displayName of ['Anna Feld', 'Bernd Weg']) {
        const member = await call(scheduling.url, 'admin', 'POST', '/staff', {
          displayName,
          homeOffice: 'Bürgerbüro Mitte',
          workingHours: FULL_WEEK,
        });
        expectStatus(member, 201, 'POST /staff');
        staff.push(String(member.body.staffId));
      }

      // What scheduling publishes about the case, read from the start of the topic by a group of the test's own.
      const received: IncomingMessage[] = [];
      bus = KafkaEventBus.connect({ brokers: urls.kafka.split(','), clientId: 'e2e-scheduling-reader' });
      let caseId = '';
      reader = await bus.subscribe(
        { groupId: `e2e-scheduling-reader-${randomBytes(3).toString('hex')}`, topics: [SCHEDULING_VISIT_TOPIC] },
        async (message) => {
          if (caseId !== '' && message.key === caseId) received.push(message);
        },
      );

      // Opened at intake (pre-check passes: care level 4, homebound) and approved at eligibility.
      const opened = await call(intake.url, 'intake-agent', 'POST', '/cases', {
        applicant: {
          givenNames: 'Erika',
          familyName: `Muster-${randomBytes(2).toString('hex')}`,
          birthDate: '1941-03-12',
          address: { street: 'Hauptstraße', houseNumber: '5', postalCode: '44787', city: 'Bochum' },
        },
        requestedServices: ['id-card'],
        mobility: { careLevel: 4, disabilityMarks: [], permanentlyHomebound: true },
        channel: 'phone-115',
      });
      expectStatus(opened, 201, 'POST /cases');
      caseId = String(opened.body.caseId);
      const assessment = await within(
        'the pre-check at eligibility',
        () => call(eligibility.url, 'eligibility-officer', 'GET', `/assessments/${caseId}`),
        (a) => a.status === 200,
      );
      expect(assessment.body).toMatchObject({ status: 'awaiting-decision', precheck: { outcome: 'likely-eligible' } });
      lap('opened → pre-checked');
      const approved = await call(
        eligibility.url,
        'eligibility-officer',
        'POST',
        `/assessments/${caseId}/decision`,
        { outcome: 'approve', reason: 'Pflegegrad 4 belegt' },
        assessment.etag,
      );
      expectStatus(approved, 200, 'POST /assessments/:caseId/decision');

      // On scheduling's queue, over the bus; then proposals from the kit and staff registered above.
      const queued = (answer: Answer) =>
        (answer.body?.toPlan ?? []).some((c: { caseId: string }) => c.caseId === caseId);
      const queue = await within(
        "the case on scheduling's queue",
        () => call(scheduling.url, 'scheduler', 'GET', '/queue'),
        queued,
      );
      expect(queue.body.toPlan.find((c: { caseId: string }) => c.caseId === caseId)).toMatchObject({
        requestedServices: ['id-card'],
        groupRequestId: null,
      });
      lap('approved → on the queue');
      const proposals = await within(
        'proposals for the case',
        () => call(scheduling.url, 'scheduler', 'GET', `/proposals?caseId=${caseId}&from=2027-03-01`),
        (answer) => answer.status === 200 && (answer.body?.proposals ?? []).length > 0,
      );
      const [proposal] = proposals.body.proposals;
      expect(proposal).toMatchObject({ kitId: kit.body.kitId, caseIds: [caseId] });
      expect([...proposal.staffIds].sort()).toEqual([...staff].sort());
      expect(proposal.date >= '2027-03-01').toBe(true);

      const booked = await call(scheduling.url, 'scheduler', 'POST', '/visits', {
        caseIds: [caseId],
        kitId: proposal.kitId,
        staffIds: proposal.staffIds,
        start: proposal.start,
        end: proposal.end,
        place: { kind: 'home', address: ADDRESS },
      });
      expectStatus(booked, 201, 'POST /visits');
      expect(booked.body).toMatchObject({
        status: 'planned',
        kitId: proposal.kitId,
        start: proposal.start,
        end: proposal.end,
        participants: [{ caseId, services: ['id-card'] }],
        place: { kind: 'home', address: ADDRESS },
      });
      const visitId = String(booked.body.visitId);
      lap('queued → proposed and booked');

      // The case's history at casefile, from the store: the booking beside intake's and eligibility's events.
      const historyOf = async () => {
        const answer = await call(casefile.url, 'auditor', 'GET', `/cases/${caseId}/history?${AUDIT}&limit=1000`);
        return answer.status === 200 ? (answer.body.events as HistoryEvent[]) : [];
      };
      const has = (events: readonly HistoryEvent[], ...types: string[]) =>
        types.every((type) => events.some((e) => e.type === type));
      const history = await within('the booking in the case history', historyOf, (events) =>
        has(events, 'VisitBookingStarted', 'VisitPlanned'),
      );
      const demand = history.filter((e) => e.type.startsWith('Demand'));
      const domain = history.filter(
        (e) => !['CaseRecordAccessed', 'CaseReferenceAssigned'].includes(e.type) && !demand.includes(e),
      );
      expect(domain.map((e) => `${e.service}:${e.type}`)).toEqual([
        'intake:CaseOpened',
        'eligibility:AssessmentPrechecked',
        'eligibility:NecessityConfirmed',
        'scheduling:VisitBookingStarted',
        'scheduling:VisitPlanned',
      ]);
      // Scheduling's bookkeeping of the demand stays out of the history: its facts are there from their sources.
      expect(demand).toEqual([]);
      expect(history.map((e) => e.position)).toEqual([...history.map((e) => e.position)].sort((a, b) => a - b));
      const state = await call(casefile.url, 'auditor', 'GET', `/cases/${caseId}/state?${AUDIT}`);
      expectStatus(state, 200, 'GET /cases/:caseId/state');
      expect(state.body.status).toBe('approved');
      expect(state.body.visits).toHaveLength(1);
      expect(state.body.uninterpreted).toEqual({});
      expect(state.body.visits[0]).toMatchObject({
        visitId,
        status: 'planned',
        kitId: proposal.kitId,
        start: proposal.start,
        end: proposal.end,
        services: ['id-card'],
        // An auditor under their purpose sees the address (docs/casefile.md, "Visits").
        place: { kind: 'home', address: ADDRESS },
      });
      expect([...state.body.visits[0].staffIds].sort()).toEqual([...staff].sort());
      lap('booked → in the case history');

      // On the bus: the planned visit, keyed and subject by the case, valid by the contract, without the address.
      const ofType = (type: string) => received.filter((m) => m.headers.ce_type === type);
      await within(
        'scheduling.visit.planned.v1 on Kafka',
        async () => ofType('scheduling.visit.planned.v1').length,
        (n) => n > 0,
      );
      const [plannedMessage] = ofType('scheduling.visit.planned.v1');
      if (!plannedMessage) throw new Error('no planned message');
      const planned = fromKafkaRecord(plannedMessage, schedulingVisitContracts);
      expect(planned).toMatchObject({ subject: caseId, tenant: tenantId, source: '/buergerkoffer/scheduling' });
      expect(plannedMessage.key).toBe(caseId);
      expect(schedulingVisitPlannedV1.parse(planned.data)).toMatchObject({
        visitId,
        caseId,
        kitId: proposal.kitId,
        start: proposal.start,
        end: proposal.end,
        services: ['id-card'],
        groupVisit: false,
      });
      // The raw record (the contract's parse would strip an unknown field): nothing of the place.
      const raw = plannedMessage.value.toString();
      expect(raw).not.toContain('Hauptstraße');
      expect(raw).not.toContain('44787');
      expect(Object.keys(JSON.parse(raw)).sort()).toEqual(
        ['caseId', 'end', 'groupVisit', 'kitId', 'plannedAt', 'services', 'staffIds', 'start', 'visitId'].sort(),
      );
      lap('planned → on Kafka (reader joined before the booking)');

      // Withdrawn at intake: scheduling takes the case off the plan and off its visit, the last participant.
      const current = await call(intake.url, 'intake-agent', 'GET', `/cases/${caseId}`);
      expectStatus(current, 200, 'GET /cases/:caseId');
      const withdrawn = await call(
        intake.url,
        'intake-agent',
        'POST',
        `/cases/${caseId}/withdrawal`,
        { reason: 'Die Antragstellerin ist umgezogen' },
        current.etag,
      );
      expectStatus(withdrawn, 200, 'POST /cases/:caseId/withdrawal');
      const cancelled = await within(
        'the visit cancelled',
        () => call(scheduling.url, 'scheduler', 'GET', `/visits/${visitId}`),
        (answer) => answer.status === 200 && answer.body.status === 'cancelled',
      );
      expect(cancelled.body).toMatchObject({ cancelReason: 'no-participants', removedCaseIds: [caseId] });
      await within(
        'the case off the queue',
        () => call(scheduling.url, 'scheduler', 'GET', '/queue'),
        (answer) => (answer.status === 200 ? !queued(answer) : false),
      );
      lap('withdrawn → visit cancelled, off the queue');

      await within('the withdrawal in the case history', historyOf, (events) =>
        has(events, 'CaseWithdrawn', 'ParticipantRemoved', 'VisitCancelled'),
      );
      const after = await call(casefile.url, 'auditor', 'GET', `/cases/${caseId}/state?${AUDIT}`);
      expect(after.body.status).toBe('withdrawn');
      expect(after.body.visits[0]).toMatchObject({ visitId, status: 'removed', removalReason: 'case-withdrawn' });
      await within(
        'participant-removed and cancelled on Kafka',
        async () => received.map((m) => m.headers.ce_type),
        (types) =>
          types.includes('scheduling.visit.participant-removed.v1') && types.includes('scheduling.visit.cancelled.v1'),
      );
      for (const message of received) {
        expect(fromKafkaRecord(message, schedulingVisitContracts).subject).toBe(caseId);
        expect(message.value.toString()).not.toContain('Hauptstraße');
      }
      lap('cancelled → in the history and on Kafka');

      process.stderr.write(
        `intake → eligibility → scheduling (${((performance.now() - began) / 1000).toFixed(1)} s):\n  ${timings.join('\n  ')}\n`,
      );
      for (const p of Object.values(processes)) p.child.kill('SIGTERM');
      await Promise.all(Object.values(processes).map((p) => p.exited));
    });
  });
});
