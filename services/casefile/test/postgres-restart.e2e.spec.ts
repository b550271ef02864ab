/**
 * Everything that follows the store through a real PostgreSQL restart: intake (its relay and case-list projection)
 * and casefile (its live-feed hub) run as their own processes on a PostgreSQL server of this test's own, which is
 * stopped for 10 s and started again. With no restart of either process, each processor reports the failure while it
 * lasts, then recovers by itself: the case list and the bus catch up, a feed client told to come back resumes with
 * its Last-Event-ID and misses nothing, and readiness is back to 200.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LocalKeys } from '@buergerkoffer/shared/http';
import {
  describeWithAll,
  metricValue,
  openEventStream,
  type PrivatePostgres,
  pollUntil,
  privatePostgres,
  type SseEvent,
  useServiceProcesses,
} from '@buergerkoffer/shared/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/** The metrics scraper's token (/metrics is not public). */
const SCRAPER_TOKEN = 'e2e-scraper-token-0123456789abcdef0123';

const intakeMain = fileURLToPath(new URL('../../intake/src/main.ts', import.meta.url));
const casefileMain = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const until = pollUntil;
const metric = (text: string, name: string, processor: string) => metricValue(text, name, `processor="${processor}"`);

describeWithAll(['postgres', 'kafka'], 'processors through a PostgreSQL restart', (urls) => {
  const start = useServiceProcesses();
  let server: PrivatePostgres;
  let keyDir: string;
  beforeAll(async () => {
    server = await privatePostgres();
    keyDir = await mkdtemp(join(tmpdir(), 'bk-pg-restart-'));
  });
  afterAll(async () => {
    await server?.destroy();
    if (keyDir) await rm(keyDir, { recursive: true, force: true });
  });

  describe('the server stopped for 10 s under relays, projections and the feed hub', () => {
    it('recovers every processor by itself: nothing lost, the feed resumed without a gap, ready again', {
      timeout: 300_000,
    }, async () => {
      const keys = await LocalKeys.loadOrCreate(keyDir);
      const tenantId = `t${randomBytes(3).toString('hex')}`;
      const agent = await keys.sign({ subject: 'agent-1', tenantId, roles: ['intake-agent'] });
      const scheduler = await keys.sign({ subject: 'scheduler-1', tenantId, roles: ['scheduler'] });
      const env = {
        DATABASE_URL: server.url,
        KAFKA_BROKERS: urls.kafka,
        PD_MASTER_KEY: randomBytes(32).toString('base64'),
        AUTH_MODE: 'local',
        AUTH_LOCAL_KEY_DIR: keyDir,
        METRICS_TOKEN: SCRAPER_TOKEN,
        LOG_LEVEL: 'info',
      };
      const intake = await start(intakeMain, env);
      const casefile = await start(casefileMain, env);
      const open = async () => {
        const response = await fetch(`${intake.url}/cases`, {
          method: 'POST',
          headers: { authorization: `Bearer ${agent}`, 'content-type': 'application/json' },
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
      const listed = async () => {
        const response = await fetch(`${intake.url}/cases?pageSize=200`, {
          headers: { authorization: `Bearer ${agent}` },
        });
        const body = (await response.json()) as { items: { caseId: string }[] };
        return new Set(body.items.map((c) => c.caseId));
      };
      const metricsOf = async (url: string) =>
        (await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${SCRAPER_TOKEN}` } })).text();
      const openedIn = (events: readonly SseEvent[]) =>
        events
          .filter((e) => e.event === undefined && JSON.parse(e.data).type === 'CaseOpened')
          .map((e) => String(JSON.parse(e.data).stream).replace(/^intakeCase-/, ''));

      const feedUrl = `${casefile.url}/events?services=intake`;
      const first = openEventStream(feedUrl, { authorization: `Bearer ${scheduler}` });
      await first.until(() => first.comments > 0, 30_000);
      const before = [await open(), await open()];
      await first.until(() => openedIn(first.events).length >= 2, 30_000);
      await until(listed, (ids) => before.every((id) => ids.has(id)), 60_000, 'the case list');

      await server.stop();
      // The feed hub notices and tells its clients to come back (overflow frame with the last id), then the stream ends.
      await first.done;
      const told = first.events.at(-1);
      expect(told?.event).toBe('overflow');
      await until(
        () => metricsOf(intake.url),
        (text) =>
          (metric(text, 'processor_failures_total', 'relay:intake-case') ?? 0) > 0 &&
          (metric(text, 'processor_failures_total', 'intake:case-list') ?? 0) > 0,
        60_000,
        'intake’s processors to report the outage',
      );
      await sleep(10_000); // the outage lasts
      await server.start();

      const after = [await open(), await open(), await open()];
      // As EventSource does: reconnect with the last id after each end (the hub may still be coming back).
      const resumed: SseEvent[] = [];
      let lastEventId = (JSON.parse(told?.data ?? '{}') as { lastEventId: string }).lastEventId;
      const deadline = Date.now() + 120_000;
      while (!after.every((id) => openedIn(resumed).includes(id))) {
        if (Date.now() > deadline)
          throw new Error(`the feed did not deliver the new cases: ${JSON.stringify(resumed)}`);
        const feed = openEventStream(feedUrl, { authorization: `Bearer ${scheduler}`, 'last-event-id': lastEventId });
        await Promise.race([
          feed.done,
          feed.until(() => after.every((id) => openedIn([...resumed, ...feed.events]).includes(id)), 30_000),
        ]).catch(() => undefined);
        feed.close();
        for (const event of feed.events) {
          if (event.event === undefined) resumed.push(event);
          else if (event.event === 'overflow') lastEventId = JSON.parse(event.data).lastEventId;
        }
        lastEventId = resumed.at(-1)?.id ?? lastEventId;
        await sleep(500);
      }
      const second = { events: resumed };
      // Across the cut: every case's opening exactly once, in position order.
      const delivered = [...first.events, ...second.events].filter((e) => e.event === undefined);
      const positions = delivered.map((e) => Number(e.id));
      expect(positions).toEqual([...positions].sort((a, b) => a - b));
      expect(new Set(positions).size).toBe(positions.length);
      expect(openedIn(delivered).sort()).toEqual([...before, ...after].sort());

      await until(listed, (ids) => [...before, ...after].every((id) => ids.has(id)), 60_000, 'the case list');
      for (const [url, processors] of [
        [intake.url, ['relay:intake-case', 'intake:case-list']],
        [casefile.url, ['casefile:feed-hub']],
      ] as const) {
        const text = await until(
          () => metricsOf(url),
          (t) => processors.every((p) => metric(t, 'processor_failing_seconds', p) === 0),
          60_000,
          `${processors.join(', ')} to recover`,
        );
        for (const p of processors) expect(metric(text, 'processor_failures_total', p)).toBeGreaterThan(0);
        await until(
          async () => (await fetch(`${url}/readyz`)).status,
          (status) => status === 200,
          60_000,
          'ready',
        );
      }
      await until(
        async () => metric(await metricsOf(intake.url), 'processor_lag_events', 'relay:intake-case'),
        (lag) => lag === 0,
        60_000,
        'the relay to publish what was opened',
      );
      // The same processes all along.
      expect(intake.child.exitCode).toBeNull();
      expect(casefile.child.exitCode).toBeNull();
      for (const p of [intake, casefile]) p.child.kill('SIGTERM');
      await Promise.all([intake.exited, casefile.exited]);
    });
  });
});
