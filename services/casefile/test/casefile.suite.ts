/** The casefile service's behaviour, run on PGlite (integration) and on the PostgreSQL server (contracts). */
import type { Sql } from '@buergerkoffer/shared/event-sourcing';
import { openEventStream as openFeed } from '@buergerkoffer/shared/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CasefileFixture, casefileApp, caseWriter } from './casefile.fixture.ts';

const PURPOSE = 'purpose=audit&reference=Pr%C3%BCfung%20AZ%2042';

export function casefileSuite(openSql: () => Promise<Sql>) {
  let fx: CasefileFixture;
  beforeAll(async () => {
    fx = await casefileApp(await openSql(), {
      heartbeatMs: 100,
      maxBufferedBytes: 64 * 1024,
      retryMs: 1_500,
      maxFeedsPerSubject: 3,
      drainTimeoutMs: 3_000,
    });
  });
  afterAll(async () => fx?.close());

  const decidedCase = async () => {
    const c = caseWriter(fx.store);
    await c.open();
    const prechecked = await c.precheck();
    await c.approve();
    return { ...c, precheckPosition: prechecked.position };
  };
  const history = async (caseId: string, query = PURPOSE, role: Parameters<CasefileFixture['get']>[1] = 'auditor') =>
    fx.get(`/cases/${caseId}/history?${query}`, role);

  describe('history', () => {
    it('lists every service’s events in global order with actors, and records the auditor’s read in it', async () => {
      const c = await decidedCase();
      const { status, body, headers } = await history(c.caseId);
      expect(status).toBe(200);
      expect(headers['cache-control']).toBe('no-store');
      const events: Array<Record<string, ReturnType<typeof JSON.parse>>> = body.events;
      expect(events.map((e) => [e.service, e.type])).toEqual([
        ['intake', 'CaseOpened'],
        ['eligibility', 'AssessmentPrechecked'],
        ['eligibility', 'NecessityConfirmed'],
        ['casefile', 'CaseRecordAccessed'],
      ]);
      const positions = events.map((e) => e.position);
      expect(positions).toEqual([...positions].sort((a, b) => a - b));
      expect(events[0]).toMatchObject({
        actor: { id: 'intake-agent-7', role: 'intake-agent' },
        stream: `intakeCase-${c.caseId}`,
      });
      expect(events[2]?.actor).toEqual({ id: 'eligibility-officer-7', role: 'eligibility-officer' });
      expect(typeof events[0]?.correlationId).toBe('string');
      // The auditor sees the personal data, opened.
      expect(events[0]?.data.applicant).toMatchObject({ familyName: 'Mustermann', birthDate: '1931-04-02' });
      expect(events[0]?.data.mobility).toEqual({ careLevel: 4, disabilityMarks: [], permanentlyHomebound: true });
      // …and their own read, with who and why.
      expect(events[3]).toMatchObject({
        actor: { id: 'auditor-1', role: 'auditor' },
        data: { resource: 'history', purpose: 'audit', reference: 'Prüfung AZ 42' },
      });
      expect(body.next).toBeNull();
    });

    it('refuses an auditor’s read without a purpose, naming the field, and records nothing', async () => {
      const c = await decidedCase();
      const refused = await fx.get(`/cases/${c.caseId}/history`, 'auditor');
      expect(refused.status).toBe(400);
      expect(refused.headers['content-type']).toContain('application/problem+json');
      expect(refused.body.errors).toEqual([expect.objectContaining({ field: 'querystring.purpose' })]);
      const { body } = await history(c.caseId);
      expect(body.events.filter((e: { type: string }) => e.type === 'CaseRecordAccessed')).toHaveLength(1);
    });

    it('shows staff only the personal data their work needs, without decrypting the rest', async () => {
      const c = await decidedCase();
      const agent = await history(c.caseId, '', 'intake-agent');
      expect(agent.status).toBe(200);
      const opened = agent.body.events[0].data;
      expect(opened.applicant).toMatchObject({ givenNames: 'Erika', familyName: 'Mustermann', phone: '0234 123456' });
      expect(opened.applicant.birthDate).toBe('[withheld]');
      expect(opened.applicant.address).toBe('[withheld]');
      expect(opened.mobility).toBe('[withheld]');
      expect(agent.body.events[1].data.input.mobility).toBe('[withheld]');
      // Which rules passed, and the outcome, reveal the care level against the public rule set: health data, sealed
      // at the source and withheld like the claims; so are the officer's reasons.
      expect(agent.body.events[1].data.precheck).toMatchObject({
        outcome: '[withheld]',
        rules: '[withheld]',
        ruleSetVersion: 3,
      });
      expect(agent.body.events[2].data.reason).toBe('[withheld]');
      expect(agent.text).not.toContain('care level 4');
      expect(agent.text).not.toContain('min-care-level');
      expect(agent.text).not.toContain('notice seen');
      const agentState = await fx.get(`/cases/${c.caseId}/state`, 'intake-agent');
      expect(agentState.headers['cache-control']).toBe('no-store');
      expect(agentState.body.eligibility).toMatchObject({ rules: '[withheld]', precheckOutcome: '[withheld]' });
      expect(agentState.body.decisions[0]).toMatchObject({ outcome: 'approved', reason: '[withheld]' });
      expect(agentState.text).not.toContain('min-care-level');
      expect(agent.text).not.toContain('Hauptstraße');
      const officer = await history(c.caseId, '', 'eligibility-officer');
      expect(officer.body.events[0].data.mobility).toMatchObject({ careLevel: 4 });
      expect(officer.body.events[1].data.precheck.rules[0]).toEqual({
        rule: 'min-care-level',
        passed: true,
        detail: 'care level 4 ≥ 4',
      });
      expect(officer.body.events[2].data.reason).toBe('care level notice seen');
      expect(officer.body.events[0].data.applicant.address).toBe('[withheld]');
      // Staff reads are in the access log as well (purpose: their case work), one per actor, view and day.
      const log = (await history(c.caseId)).body.events.filter(
        (e: { type: string }) => e.type === 'CaseRecordAccessed',
      );
      expect(log.map((e: { actor: { role: string } }) => e.actor.role)).toEqual([
        'intake-agent',
        'intake-agent',
        'eligibility-officer',
        'auditor',
      ]);
    });

    it('withholds what events stored before issue 13 hold in clear: rule results, outcome, reasons', async () => {
      const c = caseWriter(fx.store);
      await c.open();
      await c.legacyDecision();
      const agent = await history(c.caseId, '', 'intake-agent');
      expect(agent.body.events[1].data.precheck).toMatchObject({
        outcome: '[withheld]',
        rules: [{ rule: 'min-care-level', passed: '[withheld]', detail: '[withheld]' }],
      });
      expect(agent.body.events[2].data.reason).toBe('[withheld]');
      expect(agent.text).not.toContain('Pflegegrad');
      expect(agent.text).not.toContain('not-eligible');
      const state = await fx.get(`/cases/${c.caseId}/state`, 'scheduler');
      expect(state.body).toMatchObject({ status: 'rejected', eligibility: { precheckOutcome: '[withheld]' } });
      expect(state.text).not.toContain('Pflegegrad');
      const officer = await history(c.caseId, '', 'eligibility-officer');
      expect(officer.body.events[2].data.reason).toBe('Pflegegrad 1, kein Merkzeichen aG');
      expect(officer.body.events[1].data.precheck.rules[0]).toMatchObject({ passed: false });
    });

    it('refuses a purpose the caller’s role may not read for (403) and records nothing', async () => {
      const c = await decidedCase();
      const refused = await history(c.caseId, 'purpose=audit', 'scheduler');
      expect(refused.status).toBe(403);
      expect(refused.headers['content-type']).toContain('application/problem+json');
      const markup = await history(c.caseId, 'purpose=audit&reference=%3Cb%3Ex%3C%2Fb%3E');
      expect(markup.status).toBe(400);
      expect(markup.body.errors[0].field).toBe('querystring.reference');
      const { body } = await history(c.caseId);
      expect(body.events.filter((e: { type: string }) => e.type === 'CaseRecordAccessed')).toHaveLength(1);
    });

    it('records one access per actor, view, purpose and day however often the case is read', async () => {
      const c = await decidedCase();
      for (let i = 0; i < 5; i++) expect((await fx.get(`/cases/${c.caseId}/state`, 'scheduler')).status).toBe(200);
      for (let i = 0; i < 3; i++) expect((await history(c.caseId)).status).toBe(200);
      await history(c.caseId, 'purpose=complaint');
      const { body } = await history(c.caseId);
      const log = body.events.filter((e: { type: string }) => e.type === 'CaseRecordAccessed');
      expect(
        log.map((e: { actor: { role: string }; data: { resource: string; purpose: string } }) => [
          e.actor.role,
          e.data.resource,
          e.data.purpose,
        ]),
      ).toEqual([
        ['scheduler', 'state', 'case-work'],
        ['auditor', 'history', 'audit'],
        ['auditor', 'history', 'complaint'],
      ]);
    });

    it('shows [erased] once the data subject’s key is deleted; the history keeps its shape', async () => {
      const c = await decidedCase();
      await fx.keys.erase('bochum', c.subjectId);
      const { body } = await history(c.caseId);
      expect(body.events[0].data.applicant).toMatchObject({
        subjectId: c.subjectId,
        familyName: '[erased]',
        address: '[erased]',
      });
      expect(body.events[0].data.reference).toBe('MB-2026-00042');
      expect(body.events).toHaveLength(4);
    });

    it('answers another tenant 404, as if the case were absent, and records nothing', async () => {
      const c = await decidedCase();
      const other = await fx.get(`/cases/${c.caseId}/history?${PURPOSE}`, 'auditor', 'herne');
      expect(other.status).toBe(404);
      expect((await fx.get(`/cases/${c.caseId}/state?${PURPOSE}`, 'auditor', 'herne')).status).toBe(404);
      expect((await fx.get(`/cases/${c.caseId}/history/verify`, 'auditor', 'herne')).status).toBe(404);
      const own = await history(c.caseId);
      expect(own.body.events.filter((e: { type: string }) => e.type === 'CaseRecordAccessed')).toHaveLength(1);
    });

    it('pages a long history with cursors: every event once, in order', async () => {
      const c = caseWriter(fx.store);
      await c.open();
      for (let i = 0; i < 24; i++) await c.note(`n${i}`);
      const seen: number[] = [];
      let cursor: string | null = '';
      let pages = 0;
      while (cursor !== null) {
        const page = await history(c.caseId, `limit=10${cursor ? `&after=${cursor}` : ''}`, 'intake-agent');
        expect(page.status).toBe(200);
        seen.push(...page.body.events.map((e: { position: number }) => e.position));
        cursor = page.body.next;
        pages++;
      }
      // 25 case events plus the access record of the first page read (the later pages' reads are the same view on the
      // same day: coalesced into it).
      expect(new Set(seen).size).toBe(seen.length);
      expect(seen).toEqual([...seen].sort((a, b) => a - b));
      expect(seen.length).toBeGreaterThanOrEqual(25);
      expect(pages).toBeGreaterThanOrEqual(3);
      const bad = await history(c.caseId, `${PURPOSE}&after=nonsense`);
      expect(bad.status).toBe(400);
      expect(bad.body.errors[0].field).toBe('querystring.after');
    });

    it('exports a printable, escaped HTML history stating who, why and the integrity check', async () => {
      const c = await decidedCase();
      await c.note('<script>alert(1)</script>');
      const exported = await history(c.caseId, `${PURPOSE}&format=html`);
      expect(exported.status).toBe(200);
      expect(exported.headers['content-type']).toContain('text/html');
      expect(exported.headers['content-security-policy']).toContain("default-src 'none'");
      expect(exported.text).toContain(c.caseId);
      expect(exported.text).toContain('Prüfung AZ 42');
      expect(exported.text).toContain('verified:');
      expect(exported.text).toContain('Mustermann');
      expect(exported.text).not.toContain('<script>');
      expect(exported.text).toContain('&lt;script&gt;');
      const { body } = await history(c.caseId);
      expect(body.events.find((e: { type: string }) => e.type === 'CaseRecordAccessed').data.resource).toBe('export');
    });
  });

  describe('time travel', () => {
    it('shows the case undecided before the decision and approved after, folded from the history', async () => {
      const c = await decidedCase();
      const before = await fx.get(`/cases/${c.caseId}/state?at=${c.precheckPosition}&${PURPOSE}`, 'auditor');
      expect(before.status).toBe(200);
      expect(before.body).toMatchObject({
        caseId: c.caseId,
        status: 'awaiting-decision',
        requestedServices: ['id-card'],
        eligibility: { status: 'awaiting-decision', precheckOutcome: 'likely-eligible', ruleSetVersion: 3 },
        decisions: [],
        position: c.precheckPosition,
      });
      const now = await fx.get(`/cases/${c.caseId}/state?${PURPOSE}`, 'auditor');
      expect(now.body).toMatchObject({ status: 'approved', eligibility: { status: 'approved', ruleSetVersion: 3 } });
      expect(now.body.decisions).toEqual([
        expect.objectContaining({ outcome: 'approved', by: 'eligibility-officer-7', ruleSetVersion: 3 }),
      ]);
      // By time as well: before the case existed there is nothing to show.
      const past = await fx.get(`/cases/${c.caseId}/state?at=2000-01-01T00:00:00Z&${PURPOSE}`, 'auditor');
      expect(past.status).toBe(404);
      const byTime = await fx.get(
        `/cases/${c.caseId}/state?at=${encodeURIComponent(new Date().toISOString())}&${PURPOSE}`,
        'auditor',
      );
      expect(byTime.body.status).toBe('approved');
      const bad = await fx.get(`/cases/${c.caseId}/state?at=yesterday&${PURPOSE}`, 'auditor');
      expect(bad.status).toBe(400);
      expect(bad.body.errors[0].field).toBe('querystring.at');
    });
  });

  describe('integrity', () => {
    it('verifies every stream of the case, then names the event altered directly in the database', async () => {
      const c = await decidedCase();
      const ok = await fx.get(`/cases/${c.caseId}/history/verify`, 'auditor');
      expect(ok.body).toMatchObject({ ok: true, streams: 2, events: 3 });
      const [target] = await fx.sql.query<{ position: string | number }>(
        `update es_events set data = jsonb_set(data, '{reason}', '"forged"')
          where stream = $1 and type = 'NecessityConfirmed' returning position`,
        [`eligibility-${c.caseId}`],
      );
      const broken = await fx.get(`/cases/${c.caseId}/history/verify`, 'auditor');
      expect(broken.body).toMatchObject({
        ok: false,
        reason: 'content-altered',
        brokenAt: { stream: `eligibility-${c.caseId}`, revision: 1, position: Number(target?.position) },
      });
      expect((await fx.get(`/cases/${c.caseId}/history/verify`, 'intake-agent')).status).toBe(403);
    });

    it('notices an event removed from the case index, though every chain still holds', async () => {
      const c = await decidedCase();
      await fx.sql.query(
        `delete from es_case_events where position = (select position from es_events where stream = $1 and revision = 1)`,
        [`eligibility-${c.caseId}`],
      );
      const { body } = await fx.get(`/cases/${c.caseId}/history/verify`, 'admin');
      expect(body).toMatchObject({ ok: false, reason: 'missing-from-case-history', brokenAt: { revision: 1 } });
    });
  });

  describe('live feeds', () => {
    it('delivers the next event of a case live, with its global position as SSE id', async () => {
      const c = await decidedCase();
      const decided = (await fx.store.readStream(`eligibility-${c.caseId}`, { direction: 'backwards', limit: 1 }))[0];
      const feed = openFeed(`${fx.url}/cases/${c.caseId}/events`, await fx.auth('scheduler'));
      await feed.ready;
      expect(feed.status).toBe(200);
      await feed.until(() => feed.comments > 0); // connected
      const appended = await c.note('live');
      // Pushed on the open stream (how fast is the append → SSE benchmark, not a timed test).
      await feed.until(() => feed.events.some((e) => e.id === String(appended.position)));
      // After the decision: the feed's own access record (it follows the case from before it was written), then the
      // change. (A hub still behind the decision when the feed opened replays it first: not counted here.)
      const later = feed.events.filter((e) => Number(e.id) > (decided?.position ?? 0));
      expect(later.map((e) => JSON.parse(e.data).type)).toEqual(['CaseRecordAccessed', 'ServicesChanged']);
      expect(JSON.parse(later[1]?.data ?? '{}')).toMatchObject({ type: 'ServicesChanged', service: 'intake' });
      await feed.until(() => feed.comments >= 4, 10_000); // the greeting, then heartbeats every 100 ms here
      feed.close();
      // Following a case is a read of it: recorded, as every history read is.
      const log = (await history(c.caseId)).body.events.filter(
        (e: { type: string }) => e.type === 'CaseRecordAccessed',
      );
      expect(log[0]).toMatchObject({ actor: { id: 'scheduler-1', role: 'scheduler' }, data: { resource: 'feed' } });
    });

    it('resumes after a disconnect with Last-Event-ID: no gap, no duplicate, same as the history', async () => {
      const c = await decidedCase();
      const first = openFeed(`${fx.url}/cases/${c.caseId}/events`, {
        ...(await fx.auth('scheduler')),
        'last-event-id': '0',
      });
      await first.until(() => first.events.length >= 3);
      for (let i = 0; i < 5; i++) await c.note(`a${i}`);
      await first.until(() => first.events.length >= 6);
      first.close(); // mid-stream
      await first.done;
      const lastSeen = first.events.at(-1)?.id ?? '0';
      for (let i = 0; i < 5; i++) await c.note(`b${i}`);
      const second = openFeed(`${fx.url}/cases/${c.caseId}/events`, {
        ...(await fx.auth('scheduler')),
        'last-event-id': lastSeen,
      });
      for (let i = 0; i < 3; i++) await c.note(`c${i}`);
      const all = (await history(c.caseId, '', 'scheduler')).body.events.filter(
        (e: { type: string }) => e.type !== 'CaseRecordAccessed',
      );
      // Reading the history is itself an event of the case (the access record): compare the rest.
      const rest = () =>
        [...first.events, ...second.events].filter((e) => JSON.parse(e.data).type !== 'CaseRecordAccessed');
      await second.until(() => rest().length >= all.length);
      second.close();
      const received = rest().map((e) => Number(e.id));
      expect(received).toEqual(all.map((e: { position: number }) => e.position));
      // The frames carry what the history shows the same role.
      expect(JSON.parse(second.events[0]?.data ?? '{}')).toEqual(
        all.find((e: { position: number }) => e.position === Number(second.events[0]?.id)),
      );
    });

    it('answers a resume id beyond the newest event with a reset naming the head, then delivers what follows', async () => {
      const c = await decidedCase();
      const head = await fx.store.headPosition();
      const feed = openFeed(`${fx.url}/events?lastEventId=${head + 5_000}`, await fx.auth('scheduler'));
      await feed.until(() => feed.events.some((e) => e.event === 'reset'));
      const reset = feed.events.find((e) => e.event === 'reset');
      expect(JSON.parse(reset?.data ?? '{}')).toMatchObject({ lastEventId: String(head + 5_000) });
      // The reset carries the head it continues from as its id: a client that reconnects now resumes from there.
      expect(reset?.id).toBe(JSON.parse(reset?.data ?? '{}').head);
      expect(Number(reset?.id)).toBeLessThan(head + 5_000);
      const next = await c.note('after the reset');
      await feed.until(() => feed.events.some((e) => e.id === String(next.position)));
      feed.close();
    });

    it('keeps tenants apart and filters the tenant feed by type and service', async () => {
      const feed = openFeed(
        `${fx.url}/events?services=eligibility&types=NecessityConfirmed,AssessmentPrechecked`,
        await fx.auth('eligibility-officer'),
      );
      await feed.ready;
      await feed.until(() => feed.comments > 0);
      const elsewhere = caseWriter(fx.store, 'herne');
      await elsewhere.open();
      await elsewhere.precheck();
      const c = await decidedCase();
      await c.note('not eligibility');
      await feed.until(() => feed.events.length >= 2);
      await new Promise((resolve) => setTimeout(resolve, 300));
      feed.close();
      const frames = feed.events.map((e) => JSON.parse(e.data));
      expect(frames.map((f) => f.type)).toEqual(['AssessmentPrechecked', 'NecessityConfirmed']);
      expect(frames.every((f) => f.stream === `eligibility-${c.caseId}`)).toBe(true);
      // The tenant-wide feed shows no personal data, not even to a role that may see it case by case.
      expect(frames[0].data.input.mobility).toBe('[withheld]');
      expect(frames[0].data.precheck.rules).toBe('[withheld]');
      expect(frames[0].data.precheck.outcome).toBe('[withheld]');
      const bad = await fx.get('/events?services=billing', 'scheduler');
      expect(bad.status).toBe(400);
      expect(bad.body.errors[0].field).toMatch(/^querystring\.services/);
      const badId = await fetch(`${fx.url}/events`, {
        headers: { ...(await fx.auth('scheduler')), 'last-event-id': 'x' },
      });
      expect(badId.status).toBe(400);
      expect(((await badId.json()) as { errors: { field: string }[] }).errors[0]?.field).toBe('headers.last-event-id');
      expect((await fx.get('/events', 'kit-device')).status).toBe(403);
    });

    it('shows no one on the tenant feed why a case was read, or under which file', async () => {
      const c = await decidedCase();
      const feed = openFeed(`${fx.url}/events?types=CaseRecordAccessed`, await fx.auth('scheduler'));
      await feed.ready;
      await feed.until(() => feed.comments > 0);
      expect((await history(c.caseId, 'purpose=complaint&reference=Beschwerde%20AZ%209')).status).toBe(200);
      await feed.until(() => feed.events.some((e) => JSON.parse(e.data).data.caseId === c.caseId));
      feed.close();
      const frame = feed.events.map((e) => JSON.parse(e.data)).find((f) => f.data.caseId === c.caseId);
      expect(frame.data).toMatchObject({ resource: 'history', purpose: '[withheld]', reference: '[withheld]' });
      expect(JSON.stringify(feed.events)).not.toContain('Beschwerde');
    });

    it('limits the feeds one caller keeps open (429 with Retry-After), and admits again once one closes', async () => {
      const c = await decidedCase();
      const headers = await fx.auth('scheduler', 'bochum', 'busy-ui');
      const open = [0, 1, 2].map(() => openFeed(`${fx.url}/cases/${c.caseId}/events`, headers));
      for (const feed of open) await feed.until(() => feed.comments > 0);
      const refused = await fetch(`${fx.url}/events`, { headers });
      expect(refused.status).toBe(429);
      expect(refused.headers.get('retry-after')).toBe('5');
      expect(((await refused.json()) as { code: string }).code).toBe('too-many-feeds');
      // Another caller is not affected.
      const other = openFeed(`${fx.url}/events`, await fx.auth('scheduler', 'bochum', 'calm-ui'));
      await other.until(() => other.comments > 0);
      other.close();
      open[0]?.close();
      await expect
        .poll(
          async () => {
            const again = await fetch(`${fx.url}/events`, { headers });
            await again.body?.cancel();
            return again.status;
          },
          { timeout: 30_000 },
        )
        .toBe(200);
      for (const feed of open) feed.close();
    });

    it('disconnects a client that stops reading with a retry hint; it resumes from there without loss', {
      timeout: 180_000,
    }, async () => {
      const c = await decidedCase();
      const overflows = (metrics: string) => Number(/^casefile_feed_overflows (\d+)$/m.exec(metrics)?.[1] ?? 0);
      const overflowsBefore = overflows(
        await (await fetch(`${fx.url}/metrics`, { headers: await fx.auth('admin') })).text(),
      );
      const feed = openFeed(`${fx.url}/cases/${c.caseId}/events`, await fx.auth('scheduler'));
      await feed.ready;
      await feed.until(() => feed.comments > 0);
      feed.pause();
      // Far more than the socket buffers hold, so the server's own buffer passes its limit (64 KiB here).
      const big = 'x'.repeat(60_000);
      for (let i = 0; i < 20; i++) {
        await fx.store.append(
          `intakeCase-${c.caseId}`,
          Array.from({ length: 20 }, () => bigEvent(c.caseId, big)),
        );
      }
      const total = 400;
      // The server gives up on the client (it says so in its metrics) while the client still reads nothing.
      await expect
        .poll(
          async () => overflows(await (await fetch(`${fx.url}/metrics`, { headers: await fx.auth('admin') })).text()),
          { timeout: 60_000 },
        )
        .toBeGreaterThan(overflowsBefore);
      const response = await feed.ready;
      response.resume();
      await feed.done;
      const overflow = feed.events.at(-1);
      expect(overflow?.event).toBe('overflow');
      expect(overflow?.retry).toBe(1_500);
      const { lastEventId } = JSON.parse(overflow?.data ?? '{}') as { lastEventId: string };
      const delivered = feed.events.filter((e) => e.event === undefined);
      expect(delivered.length).toBeLessThan(total);
      expect(lastEventId).toBe(delivered.at(-1)?.id);
      const again = openFeed(`${fx.url}/cases/${c.caseId}/events`, {
        ...(await fx.auth('scheduler')),
        'last-event-id': lastEventId,
      });
      // Only the appended events are counted: the feeds' own access records (each open is recorded, and lands
      // before or after the hub's position depending on timing) are case events too.
      const appended = (events: readonly { event: string | undefined; data: string }[]) =>
        events.filter((e) => e.event === undefined && JSON.parse(e.data).type === 'EvidenceAttached');
      await again.until(() => appended(delivered).length + appended(again.events).length >= total, 30_000);
      again.close();
      const all = [...delivered, ...again.events];
      const ids = all.map((e) => Number(e.id));
      expect(ids).toEqual([...ids].sort((a, b) => a - b)); // in order, across the cut
      expect(new Set(ids).size).toBe(ids.length); // none twice
      expect(appended(all)).toHaveLength(total); // none lost
    });
  });
}

/** An event whose size reaches the client: the padding in a field the scheduler is shown (not the document
 *  reference, which is withheld from them as case notes). */
function bigEvent(caseId: string, padding: string) {
  return {
    id: crypto.randomUUID(),
    type: 'EvidenceAttached',
    data: {
      caseId,
      evidenceId: crypto.randomUUID(),
      kind: 'other',
      documentReference: 'dms://bochum/1',
      padding,
      checksum: `sha256:${'0'.repeat(64)}`,
      attachedAt: new Date().toISOString(),
    },
    metadata: { tenantId: 'bochum', caseId, actor: { id: 'intake-agent-7', role: 'intake-agent' } },
  };
}
