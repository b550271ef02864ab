/**
 * The first cross-service test: intake and eligibility as separate processes on the real PostgreSQL server and Kafka
 * broker. Cases opened over HTTP are pre-checked; the eligibility process is killed (SIGKILL) while events flow and
 * restarted; every case ends up assessed exactly once; an approval follows in causal order. Prints the latency from
 * POST /cases to a readable pre-check.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  ELIGIBILITY_ASSESSMENT_TOPIC,
  eligibilityAssessmentContracts,
  fromKafkaRecord,
} from '@buergerkoffer/shared/contracts';
import { LocalKeys, type Role } from '@buergerkoffer/shared/http';
import { KafkaEventBus } from '@buergerkoffer/shared/messaging';
import { describeWithAll, useTestDatabase } from '@buergerkoffer/shared/testing';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';

const intakeMain = fileURLToPath(new URL('../../intake/src/main.ts', import.meta.url));
const eligibilityMain = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const percentile = (values: number[], p: number) =>
  [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor((p / 100) * values.length))] ?? Number.NaN;

describeWithAll(['postgres', 'kafka'], 'intake and eligibility as separate processes', (urls) => {
  const db = useTestDatabase(urls.postgres);
  const kafka = { url: urls.kafka };
  const children: ChildProcess[] = [];
  const dirs: string[] = [];
  afterAll(async () => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  async function start(main: string, env: Record<string, string>): Promise<{ child: ChildProcess; url: string }> {
    let output = '';
    const child = spawn(process.execPath, [main], {
      env: { ...process.env, ...env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'warn' },
    });
    children.push(child);
    child.stdout?.on('data', (chunk) => {
      output += String(chunk);
    });
    child.stderr?.on('data', (chunk) => {
      output += String(chunk);
    });
    const deadline = Date.now() + 30_000;
    for (;;) {
      const url = /listening on (http:\/\/\S+)/.exec(output)?.[1];
      if (url) return { child, url };
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`did not start: ${output}`);
      await sleep(50);
    }
  }

  describe('on PostgreSQL and Kafka, with eligibility killed mid-flow', () => {
    it('assesses every case exactly once, in causal order, and reports the pre-check latency', {
      timeout: 300_000,
    }, async () => {
      const keyDir = await mkdtemp(join(tmpdir(), 'bk-flow-e2e-'));
      dirs.push(keyDir);
      const keys = await LocalKeys.loadOrCreate(keyDir);
      const token = (role: Role) =>
        keys.sign({ subject: `${role}-1`, tenantId: `t${randomBytes(3).toString('hex')}`, roles: [role] });
      const tenantToken = await token('intake-agent');
      const tenant = JSON.parse(Buffer.from(tenantToken.split('.')[1] ?? '', 'base64url').toString()).tenant as string;
      const officerToken = await keys.sign({ subject: 'officer-1', tenantId: tenant, roles: ['eligibility-officer'] });
      const env = {
        DATABASE_URL: db.url,
        KAFKA_BROKERS: kafka.url,
        PD_MASTER_KEY: randomBytes(32).toString('base64'),
        AUTH_MODE: 'local',
        AUTH_LOCAL_KEY_DIR: keyDir,
        // The test polls for the pre-check many times a second: keep the per-client limit out of the measurement.
        RATE_LIMIT_PER_MINUTE: '1000000',
      };
      const intake = await start(intakeMain, env);
      let eligibility = await start(eligibilityMain, env);

      const open = async (careLevel: number) => {
        const response = await fetch(`${intake.url}/cases`, {
          method: 'POST',
          headers: { authorization: `Bearer ${tenantToken}`, 'content-type': 'application/json' },
          body: JSON.stringify({
            applicant: {
              givenNames: 'Erika',
              familyName: `Muster${careLevel}-${randomBytes(2).toString('hex')}`,
              birthDate: '1941-03-12',
              address: { street: 'Hauptstraße', houseNumber: '5', postalCode: '44787', city: 'Bochum' },
            },
            requestedServices: ['id-card'],
            mobility: { careLevel, disabilityMarks: [], permanentlyHomebound: true },
            channel: 'phone-115',
          }),
        });
        expect(response.status).toBe(201);
        return ((await response.json()) as { caseId: string }).caseId;
      };
      const assessment = async (base: string, caseId: string) => {
        const response = await fetch(`${base}/assessments/${caseId}`, {
          headers: { authorization: `Bearer ${officerToken}` },
        });
        return response.status === 200
          ? ((await response.json()) as { status: string; precheck: { outcome: string } })
          : undefined;
      };

      // Phase 1: 30 cases while eligibility is killed and restarted in the middle.
      const caseIds: string[] = [];
      for (let i = 0; i < 30; i++) {
        caseIds.push(await open(i % 2 === 0 ? 4 : 3));
        if (i === 12) {
          eligibility.child.kill('SIGKILL');
          await new Promise((resolve) => eligibility.child.once('exit', resolve));
        }
        if (i === 20) eligibility = await start(eligibilityMain, env);
      }
      const deadline = Date.now() + 90_000;
      let missing = caseIds;
      while (missing.length > 0 && Date.now() < deadline) {
        const found = await Promise.all(
          missing.map(async (id) => ((await assessment(eligibility.url, id)) ? undefined : id)),
        );
        missing = found.filter((id): id is string => id !== undefined);
        if (missing.length > 0) await sleep(200);
      }
      process.stderr.write(`phase 1: ${caseIds.length - missing.length} of ${caseIds.length} assessed\n`);
      expect(missing).toEqual([]);

      const client = new pg.Client({ connectionString: db.url });
      await client.connect();
      try {
        const { rows } = await client.query<{ stream: string; n: string }>(
          `select stream, count(*) as n from es_events where type = 'AssessmentPrechecked' and stream = any($1) group by stream`,
          [caseIds.map((id) => `eligibility-${id}`)],
        );
        expect(rows).toHaveLength(caseIds.length);
        expect(rows.every((row) => Number(row.n) === 1)).toBe(true);

        // Causal order for one case: opened → pre-checked (caused by it) → approved.
        const caseId = caseIds[0] ?? '';
        const etag =
          (
            await fetch(`${eligibility.url}/assessments/${caseId}`, {
              headers: { authorization: `Bearer ${officerToken}` },
            })
          ).headers.get('etag') ?? '';
        const approved = await fetch(`${eligibility.url}/assessments/${caseId}/decision`, {
          method: 'POST',
          headers: { authorization: `Bearer ${officerToken}`, 'content-type': 'application/json', 'if-match': etag },
          body: JSON.stringify({ outcome: 'approve' }),
        });
        expect(approved.status).toBe(200);
        const history = await client.query<{ type: string; position: string; id: string; causation: string | null }>(
          `select e.type, e.position, e.id::text as id, e.metadata ->> 'causationId' as causation
             from es_case_events c join es_events e on e.position = c.position
            where c.case_id = $1 order by c.position`,
          [caseId],
        );
        const types = history.rows.map((r) => r.type).filter((t) => t !== 'CaseReferenceAssigned');
        // The officer's read of the assessment is in the case's history too (its access log, one a day).
        expect(types).toEqual(['CaseOpened', 'AssessmentPrechecked', 'CaseRecordAccessed', 'NecessityConfirmed']);
        const opened = history.rows.find((r) => r.type === 'CaseOpened');
        expect(history.rows.find((r) => r.type === 'AssessmentPrechecked')?.causation).toBe(opened?.id);

        // Scheduling will act on eligibility.assessment.v1 (its v2 types): the approval is there, with its rule-set
        // version — and nothing that reveals health (no outcome, no failed rules).
        const bus = KafkaEventBus.connect({ brokers: kafka.url.split(','), clientId: 'e2e-scheduling' });
        const seen: string[] = [];
        const reader = await bus.subscribe(
          { groupId: `e2e-scheduling-${randomBytes(3).toString('hex')}`, topics: [ELIGIBILITY_ASSESSMENT_TOPIC] },
          async (message) => {
            if (message.key !== caseId) return;
            const event = fromKafkaRecord(message, eligibilityAssessmentContracts);
            if (/outcome|failedRules|careLevel/.test(message.value.toString())) seen.push('health data published');
            seen.push(`${event.type}:${JSON.stringify((event.data as { ruleSetVersion?: number }).ruleSetVersion)}`);
          },
        );
        // At-least-once: after the kill the relay may publish the pre-check again; each distinct event counts once.
        const distinct = () => [...new Set(seen)];
        const until = Date.now() + 60_000;
        while (distinct().length < 2 && Date.now() < until) await sleep(50);
        await reader.stop();
        await bus.close();
        expect(distinct()).toEqual(['eligibility.assessment.prechecked.v2:0', 'eligibility.assessment.approved.v2:0']);
      } finally {
        await client.end();
      }

      // Phase 2: latency from POST /cases to a readable pre-check, over 200 cases (10 at a time).
      const latencies: number[] = [];
      for (let batch = 0; batch < 20; batch++) {
        await Promise.all(
          Array.from({ length: 10 }, async () => {
            const started = performance.now();
            const id = await open(4);
            while (!(await assessment(eligibility.url, id))) await sleep(10);
            latencies.push(performance.now() - started);
          }),
        );
      }
      const p50 = percentile(latencies, 50);
      const p99 = percentile(latencies, 99);
      process.stderr.write(
        `latency POST /cases → pre-check readable, ${latencies.length} cases: p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms\n`,
      );
      expect(latencies).toHaveLength(200);

      for (const child of [intake.child, eligibility.child]) child.kill('SIGTERM');
    });
  });
});
