/**
 * The intake service as its own process on the real PostgreSQL server and Kafka broker: a case opened over HTTP is
 * stored (personal data sealed) and published on intake.case.v1; SIGTERM stops it cleanly.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fromKafkaRecord, INTAKE_CASE_TOPIC, intakeCaseContracts } from '@buergerkoffer/shared/contracts';
import { LocalKeys } from '@buergerkoffer/shared/http';
import { type IncomingMessage, KafkaEventBus } from '@buergerkoffer/shared/messaging';
import { describeWithAll, useTestDatabase } from '@buergerkoffer/shared/testing';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';

const main = fileURLToPath(new URL('../src/main.ts', import.meta.url));

describeWithAll(['postgres', 'kafka'], 'the intake service as its own process', (urls) => {
  const db = useTestDatabase(urls.postgres);
  const kafka = { url: urls.kafka };
  const children: ChildProcess[] = [];
  const dirs: string[] = [];
  afterAll(async () => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  describe('on PostgreSQL and Kafka', () => {
    it('opens a case over HTTP, publishes it on intake.case.v1, keeps names out of the tables, and stops on SIGTERM', async () => {
      const keyDir = await mkdtemp(join(tmpdir(), 'bk-intake-e2e-'));
      dirs.push(keyDir);
      const keys = await LocalKeys.loadOrCreate(keyDir);
      let output = '';
      const child = spawn(process.execPath, [main], {
        env: {
          ...process.env,
          PORT: '0',
          HOST: '127.0.0.1',
          LOG_LEVEL: 'warn',
          DATABASE_URL: db.url,
          KAFKA_BROKERS: kafka.url,
          PD_MASTER_KEY: randomBytes(32).toString('base64'),
          AUTH_MODE: 'local',
          AUTH_LOCAL_KEY_DIR: keyDir,
        },
      });
      children.push(child);
      child.stdout?.on('data', (chunk) => {
        output += String(chunk);
      });
      child.stderr?.on('data', (chunk) => {
        output += String(chunk);
      });
      const deadline = Date.now() + 30_000;
      let url: string | undefined;
      while (!url && Date.now() < deadline && child.exitCode === null) {
        url = /listening on (http:\/\/\S+)/.exec(output)?.[1];
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(url, output).toBeDefined();

      const token = await keys.sign({ subject: 'agent-7', tenantId: 'bochum', roles: ['intake-agent'] });
      const response = await fetch(`${url}/cases`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          applicant: {
            givenNames: 'Erika',
            familyName: 'Mustermann',
            birthDate: '1941-03-12',
            address: { street: 'Hauptstraße', houseNumber: '5', postalCode: '44787', city: 'Bochum' },
          },
          requestedServices: ['id-card'],
          mobility: { careLevel: 5, disabilityMarks: ['aG'], permanentlyHomebound: true },
          channel: 'institution',
        }),
      });
      expect(response.status).toBe(201);
      const { caseId } = (await response.json()) as { caseId: string };

      const bus = KafkaEventBus.connect({ brokers: kafka.url.split(','), clientId: 'e2e-reader' });
      const seen: IncomingMessage[] = [];
      const reader = await bus.subscribe(
        { groupId: `e2e-${randomBytes(3).toString('hex')}`, topics: [INTAKE_CASE_TOPIC] },
        async (m) => {
          if (m.key === caseId) seen.push(m);
        },
      );
      const until = Date.now() + 30_000;
      while (seen.length === 0 && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 50));
      await reader.stop();
      await bus.close();
      expect(seen).toHaveLength(1);
      const event = fromKafkaRecord(seen[0] as IncomingMessage, intakeCaseContracts);
      expect(event).toMatchObject({ type: 'intake.case.opened.v3', subject: caseId, tenant: 'bochum' });
      expect(seen[0]?.value.toString()).not.toContain('"careLevel"');

      const client = new pg.Client({ connectionString: db.url });
      await client.connect();
      const { rows } = await client.query<{ text: string }>("select string_agg(data::text, '') as text from es_events");
      await client.end();
      expect(rows[0]?.text).toContain(caseId);
      expect(rows[0]?.text).not.toMatch(/Mustermann|Erika|Hauptstraße/);

      child.kill('SIGTERM');
      const [code] = await once(child, 'exit');
      expect(code).toBe(0);
    });
  });
});
