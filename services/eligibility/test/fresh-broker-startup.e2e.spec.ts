/**
 * Start-up on a broker that has just been reset: intake, eligibility and casefile started at the same moment, as
 * `docker compose up` does, five times over. Intake and eligibility create the same topics at once on a broker that
 * is still settling (a topic just created is "not hosted" for a moment); before ensureTopics waited for that,
 * eligibility died of it. Every round: all three ready (GET /readyz 200; casefile's readiness without Kafka), and a
 * case opened at intake is pre-checked by eligibility. The broker is this file's own (its own port and data, reset
 * each round), so the broker the other test files share is never touched.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { LocalKeys } from '@buergerkoffer/shared/http';
import { createDatabase, describeWithAll } from '@buergerkoffer/shared/testing';
import { afterAll, describe, expect, it } from 'vitest';

const exec = promisify(execFile);
const main = (service: string) => fileURLToPath(new URL(`../../${service}/src/main.ts`, import.meta.url));
const kafkaScript = fileURLToPath(new URL('../../../infra/kafka/kafka.sh', import.meta.url));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const ROUNDS = 5;

interface Running {
  readonly name: string;
  readonly child: ChildProcess;
  readonly url: string;
  output(): string;
}

describeWithAll(
  ['postgres', 'kafka'],
  'intake, eligibility and casefile started at once on a just-reset broker',
  (urls) => {
    // Even ports: each broker's controller listens on the port after it.
    const port = String(19_900 + 2 * Math.floor(Math.random() * 150));
    const broker = `127.0.0.1:${port}`;
    const script = (command: 'start' | 'stop' | 'reset') =>
      exec('bash', [kafkaScript, command], { env: { ...process.env, KAFKA_PORT: port }, timeout: 300_000 });
    const children: ChildProcess[] = [];
    const cleanups: (() => Promise<void>)[] = [];
    afterAll(async () => {
      for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
      for (const cleanup of cleanups) await cleanup().catch(() => undefined);
      await script('reset');
    }, 120_000);

    /** Spawns a service; resolves with its URL once it listens, rejects (with its output) if it exits before. */
    function start(name: string, env: Record<string, string | undefined>): Promise<Running> {
      let output = '';
      const child = spawn(process.execPath, [main(name)], {
        env: { ...env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'warn' },
      });
      children.push(child);
      const append = (chunk: unknown) => {
        output += String(chunk);
      };
      child.stdout?.on('data', append);
      child.stderr?.on('data', append);
      return new Promise((resolve, reject) => {
        const onExit = (code: number | null) =>
          reject(new Error(`${name} exited (${code}) while starting:\n${output}`));
        child.once('exit', onExit);
        const check = setInterval(() => {
          const url = /listening on (http:\/\/\S+)/.exec(output)?.[1];
          if (!url) return;
          clearInterval(check);
          child.off('exit', onExit);
          resolve({ name, child, url, output: () => output });
        }, 50);
        child.once('exit', () => clearInterval(check));
      });
    }

    /** Polls until `probe` answers something, or fails naming `what` (and a service that exited meanwhile). */
    async function until<T>(
      what: string,
      running: readonly Running[],
      probe: () => Promise<T | undefined>,
    ): Promise<T> {
      const deadline = Date.now() + 120_000;
      for (;;) {
        const exited = running.find((r) => r.child.exitCode !== null);
        if (exited) throw new Error(`${exited.name} exited (${exited.child.exitCode}):\n${exited.output()}`);
        const answer = await probe().catch(() => undefined);
        if (answer !== undefined) return answer;
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await sleep(100);
      }
    }

    async function stopAll(running: readonly Running[]): Promise<void> {
      await Promise.all(
        running.map(async ({ child }) => {
          if (child.exitCode !== null) return;
          const exited = new Promise((resolve) => child.once('exit', resolve));
          child.kill('SIGTERM');
          const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
          await exited;
          clearTimeout(killer);
        }),
      );
    }

    describe(`${ROUNDS} rounds, each on a freshly reset broker and a fresh database`, () => {
      it('brings all three up, ready, every round, and a case opened at intake is pre-checked by eligibility', {
        timeout: 1_200_000,
      }, async () => {
        const keyDir = await mkdtemp(join(tmpdir(), 'bk-fresh-broker-'));
        cleanups.push(() => rm(keyDir, { recursive: true, force: true }));
        const keys = await LocalKeys.loadOrCreate(keyDir);
        const tenantId = `t${randomBytes(3).toString('hex')}`;
        const agent = await keys.sign({ subject: 'agent-1', tenantId, roles: ['intake-agent'] });
        const officer = await keys.sign({ subject: 'officer-1', tenantId, roles: ['eligibility-officer'] });
        const { KAFKA_BROKERS: _shared, ...inherited } = process.env;

        for (let round = 1; round <= ROUNDS; round++) {
          await script('reset');
          await script('start');
          const database = await createDatabase(urls.postgres, `fresh_${round}`);
          cleanups.push(database.drop);
          const env = {
            ...inherited,
            DATABASE_URL: database.url,
            PD_MASTER_KEY: randomBytes(32).toString('base64'),
            AUTH_MODE: 'local',
            AUTH_LOCAL_KEY_DIR: keyDir,
          };
          const started = performance.now();
          // All three at once; casefile without KAFKA_BROKERS: it does not use the bus.
          const running = await Promise.all([
            start('intake', { ...env, KAFKA_BROKERS: broker }),
            start('eligibility', { ...env, KAFKA_BROKERS: broker }),
            start('casefile', env),
          ]);
          const [intake, eligibility, casefile] = running;
          if (!intake || !eligibility || !casefile) throw new Error('three services');

          const readiness = await Promise.all(
            running.map((service) =>
              until(`${service.name} ready`, running, async () => {
                const response = await fetch(`${service.url}/readyz`);
                return response.status === 200
                  ? ((await response.json()) as { checks: Record<string, boolean> })
                  : undefined;
              }),
            ),
          );
          // The dependencies, then each processor and consumer by name; casefile without the bus.
          // Each process also follows erasures to evict keys from its cache (`<service>:key-cache`).
          expect(readiness.map((r) => r.checks)).toEqual([
            {
              eventStore: true,
              bus: true,
              'relay:intake-case': true,
              'intake:case-list': true,
              'intake:key-cache': true,
            },
            {
              eventStore: true,
              bus: true,
              'relay:eligibility-assessment': true,
              'eligibility:queue': true,
              'consumer:eligibility': true,
              'eligibility:key-cache': true,
            },
            {
              eventStore: true,
              'casefile:feed-hub': true,
              'casefile:key-cache': true,
              'casefile:subject-cases': true,
              'casefile:erasures': true,
            },
          ]);
          const ready = performance.now();

          const opened = await fetch(`${intake.url}/cases`, {
            method: 'POST',
            headers: { authorization: `Bearer ${agent}`, 'content-type': 'application/json' },
            body: JSON.stringify({
              applicant: {
                givenNames: 'Erika',
                familyName: `Muster-${round}`,
                birthDate: '1941-03-12',
                address: { street: 'Hauptstraße', houseNumber: '5', postalCode: '44787', city: 'Bochum' },
              },
              requestedServices: ['id-card'],
              mobility: { careLevel: 4, disabilityMarks: [], permanentlyHomebound: true },
              channel: 'phone-115',
            }),
          });
          expect(opened.status).toBe(201);
          const { caseId } = (await opened.json()) as { caseId: string };
          const assessment = await until(`the pre-check of case ${caseId}`, running, async () => {
            const response = await fetch(`${eligibility.url}/assessments/${caseId}`, {
              headers: { authorization: `Bearer ${officer}` },
            });
            return response.status === 200 ? ((await response.json()) as { precheck: { outcome: string } }) : undefined;
          });
          expect(assessment.precheck.outcome).toEqual(expect.any(String));
          process.stderr.write(
            `round ${round}: all three ready ${((ready - started) / 1_000).toFixed(1)} s after the spawn, ` +
              `case pre-checked ${((performance.now() - ready) / 1_000).toFixed(1)} s later\n`,
          );
          expect(running.every((r) => r.child.exitCode === null)).toBe(true);
          await stopAll(running);
        }
      });
    });
  },
);
