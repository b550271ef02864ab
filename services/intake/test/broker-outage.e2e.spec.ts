/**
 * Intake's relay through a broker outage, as an operator would see it: intake runs as its own process on the real
 * PostgreSQL server and a Kafka broker of this test's own; the broker is stopped for 30 s while cases are opened and
 * changed; then it is started again. With no restart of intake, every case event is published exactly once, in order
 * per case, and the outage was visible while it lasted (the relay's failures counted, its failing time a metric).
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { INTAKE_CASE_TOPIC } from '@buergerkoffer/shared/contracts';
import { LocalKeys } from '@buergerkoffer/shared/http';
import { type IncomingMessage, KafkaEventBus } from '@buergerkoffer/shared/messaging';
import {
  describeWithAll,
  freePort,
  metricValue,
  type PrivateKafka,
  pollUntil,
  privateKafka,
  useServiceProcesses,
  useTestDatabase,
} from '@buergerkoffer/shared/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/** The metrics scraper's token (/metrics is not public). */
const SCRAPER_TOKEN = 'e2e-scraper-token-0123456789abcdef0123';

const intakeMain = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const until = pollUntil;
const metric = metricValue;

describeWithAll(['postgres', 'kafka'], 'intake’s relay through a broker outage', (urls) => {
  const db = useTestDatabase(urls.postgres);
  const start = useServiceProcesses();
  let broker: PrivateKafka;
  let keyDir: string;
  beforeAll(async () => {
    broker = privateKafka(await freePort());
    await broker.reset();
    keyDir = await mkdtemp(join(tmpdir(), 'bk-outage-'));
  });
  afterAll(async () => {
    await broker?.destroy();
    if (keyDir) await rm(keyDir, { recursive: true, force: true });
  });

  describe('the broker stopped for 30 s while cases are opened', () => {
    it('publishes every event exactly once after it returns, in order per case, without a restart', {
      timeout: 400_000,
    }, async () => {
      const keys = await LocalKeys.loadOrCreate(keyDir);
      const tenantId = `t${randomBytes(3).toString('hex')}`;
      const token = await keys.sign({ subject: 'agent-1', tenantId, roles: ['intake-agent'] });
      const intake = await start(intakeMain, {
        DATABASE_URL: db.url,
        KAFKA_BROKERS: broker.brokers,
        PD_MASTER_KEY: randomBytes(32).toString('base64'),
        AUTH_MODE: 'local',
        AUTH_LOCAL_KEY_DIR: keyDir,
        METRICS_TOKEN: SCRAPER_TOKEN,
        LOG_LEVEL: 'info',
      });
      const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
      const open = async () => {
        const response = await fetch(`${intake.url}/cases`, {
          method: 'POST',
          headers,
          body: JSON.stringify({
            applicant: {
              givenNames: 'Erika',
              familyName: `Muster-${randomBytes(3).toString('hex')}`,
              birthDate: '1941-03-12',
              address: { street: 'Hauptstraße', houseNumber: '5', postalCode: '44787', city: 'Bochum' },
            },
            requestedServices: ['id-card'],
            mobility: { careLevel: 4, disabilityMarks: [], permanentlyHomebound: true },
            channel: 'phone-115',
          }),
        });
        expect(response.status).toBe(201);
        return ((await response.json()) as { caseId: string }).caseId;
      };
      const addService = async (caseId: string, etag: string) => {
        const response = await fetch(`${intake.url}/cases/${caseId}/services`, {
          method: 'POST',
          headers: { ...headers, 'if-match': etag },
          body: JSON.stringify({ add: ['life-certificate'] }),
        });
        expect(response.status).toBe(200);
      };
      const metrics = async () =>
        (await fetch(`${intake.url}/metrics`, { headers: { authorization: `Bearer ${SCRAPER_TOKEN}` } })).text();
      const relayLag = async () => metric(await metrics(), 'processor_lag_events', 'processor="relay:intake-case"');

      const before = [await open(), await open()];
      await until(relayLag, (lag) => lag === 0, 60_000, 'the relay to publish the first cases');

      await broker.stop();
      const outageStarted = Date.now();
      const during: string[] = [];
      // Cases opened and changed while the broker is away: the relay tries, fails, and keeps trying.
      while (Date.now() - outageStarted < 30_000) {
        const caseId = await open();
        during.push(caseId);
        if (during.length % 2 === 1) await addService(caseId, 'W/"0"');
        await sleep(2_000);
      }
      // The outage is visible while it lasts: failures counted, the failing time growing, the lag not shrinking.
      await until(
        metrics,
        (text) =>
          (metric(text, 'processor_failures_total', 'processor="relay:intake-case"') ?? 0) > 0 &&
          (metric(text, 'processor_failing_seconds', 'processor="relay:intake-case"') ?? 0) > 0,
        120_000,
        'the relay to report the outage',
      );
      expect(await relayLag()).toBeGreaterThan(0);

      await broker.start();
      const after = [await open(), await open(), await open()];
      await until(relayLag, (lag) => lag === 0, 180_000, 'the relay to catch up after the broker returned');
      const recovered = await metrics();
      expect(metric(recovered, 'processor_failing_seconds', 'processor="relay:intake-case"')).toBe(0);
      // The same process all along: nothing was restarted to get here.
      expect(intake.child.exitCode).toBeNull();
      expect(intake.output()).toContain('processor failed; starting over from its checkpoint');

      // What the store holds, per case in stream order, against everything the topic holds.
      const client = new pg.Client({ connectionString: db.url });
      await client.connect();
      const stored = await client
        .query<{ id: string; case_id: string }>(
          `select id::text as id, metadata ->> 'caseId' as case_id from es_events
            where stream like 'intakeCase-%' and type in ('CaseOpened', 'ServicesChanged') order by position`,
        )
        .finally(() => client.end());
      const caseIds = [...before, ...during, ...after];
      expect(new Set(stored.rows.map((r) => r.case_id))).toEqual(new Set(caseIds));

      const bus = KafkaEventBus.connect({ brokers: [broker.brokers], clientId: 'outage-reader' });
      const groupId = `outage-reader-${randomBytes(3).toString('hex')}`;
      const received: IncomingMessage[] = [];
      const reader = await bus.subscribe({ groupId, topics: [INTAKE_CASE_TOPIC] }, async (message) => {
        received.push(message);
      });
      // Every message on the topic, duplicates included: read until the group has committed up to the end.
      await until(
        async () => (received.length >= stored.rows.length ? bus.consumerLag(groupId, [INTAKE_CASE_TOPIC]) : -1),
        (lag) => lag === 0,
        120_000,
        'the reader to reach the end of the topic',
      );
      await reader.stop();
      await bus.close();
      const ids = received.map((m) => m.headers.ce_id);
      expect(ids.length).toBe(stored.rows.length); // exactly once: none lost, none twice
      expect(new Set(ids)).toEqual(new Set(stored.rows.map((r) => r.id)));
      for (const caseId of caseIds) {
        const storedOrder = stored.rows.filter((r) => r.case_id === caseId).map((r) => r.id);
        const publishedOrder = received.filter((m) => m.key === caseId).map((m) => m.headers.ce_id);
        expect(publishedOrder).toEqual(storedOrder);
      }
      intake.child.kill('SIGTERM');
      await intake.exited;
    });
  });
});
