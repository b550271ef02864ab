/** The data subjects' rights over HTTP (erasure, legal hold, export), on PGlite with the real key store. */
import { pgliteSql } from '@buergerkoffer/shared/event-sourcing';
import { openEventStream as openFeed } from '@buergerkoffer/shared/testing';
import { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CasefileFixture, casefileApp, caseWriter } from './casefile.fixture.ts';

describe('privacy: erasure, legal hold and export', () => {
  let fx: CasefileFixture;
  /** The service's clock: a day can pass in a test. */
  let clock = Date.now();
  beforeAll(async () => {
    fx = await casefileApp(pgliteSql(await PGlite.create()), { heartbeatMs: 100 }, () => new Date(clock));
  });
  afterAll(async () => fx?.close());

  /** A decided case whose subject casefile knows (its subject index caught up). */
  const knownCase = async () => {
    const c = caseWriter(fx.store);
    await c.open();
    await c.precheck();
    await c.approve();
    await expect
      .poll(async () => (await fx.get(`/privacy/subjects/${c.subjectId}`, 'admin')).status, { timeout: 30_000 })
      .toBe(200);
    return c;
  };

  it('exports everything about the subject to an admin, opened, and records the export in the case', async () => {
    const c = await knownCase();
    const exported = await fx.get(`/privacy/subjects/${c.subjectId}/export?reference=DSB%202026%2F17`, 'admin');
    expect(exported.status).toBe(200);
    expect(exported.headers['cache-control']).toBe('no-store');
    expect(exported.body.cases).toHaveLength(1);
    const events = exported.body.cases[0].events;
    expect(events[0].data.applicant).toMatchObject({ familyName: 'Mustermann', birthDate: '1931-04-02' });
    expect(events[1].data.precheck.rules[0].detail).toBe('care level 4 ≥ 4');
    const history = await fx.get(`/cases/${c.caseId}/history?purpose=audit`, 'auditor');
    expect(
      history.body.events.find(
        (e: { type: string; data: { resource?: string } }) =>
          e.type === 'CaseRecordAccessed' && e.data.resource === 'subject-export',
      ),
    ).toMatchObject({ data: { purpose: 'subject-request', reference: 'DSB 2026/17' }, actor: { role: 'admin' } });
    // Only an admin answers subject requests; another tenant does not know the subject.
    expect((await fx.get(`/privacy/subjects/${c.subjectId}/export`, 'auditor')).status).toBe(403);
    expect((await fx.get(`/privacy/subjects/${c.subjectId}/export`, 'admin', 'herne')).status).toBe(404);
  });

  it('refuses erasure while a legal hold applies, erases once it is lifted: the history reads [erased]', async () => {
    const c = await knownCase();
    const held = await fx.send('POST', `/privacy/subjects/${c.subjectId}/legal-hold`, 'auditor', {
      ground: 'legal-claim',
      reference: 'LG Bochum 2 O 17/26',
    });
    expect(held.status).toBe(200);
    expect(held.body.legalHold).toMatchObject({ ground: 'legal-claim' });
    const refused = await fx.send('POST', `/privacy/subjects/${c.subjectId}/erasure`, 'admin', {
      ground: 'consent-withdrawn',
    });
    expect(refused.status).toBe(409);
    expect(refused.headers['content-type']).toContain('application/problem+json');
    expect(refused.body.code).toBe('legal-hold');
    // Nothing was erased: the data still opens.
    expect((await fx.keys.findKey('bochum', c.subjectId)) instanceof Buffer).toBe(true);

    expect((await fx.send('DELETE', `/privacy/subjects/${c.subjectId}/legal-hold`, 'auditor')).status).toBe(200);
    const erased = await fx.send('POST', `/privacy/subjects/${c.subjectId}/erasure`, 'admin', {
      ground: 'consent-withdrawn',
      reference: 'DSB 2026/18',
    });
    expect(erased.status).toBe(200);
    expect(erased.body).toMatchObject({ keyDestroyed: true, erased: { cases: [c.caseId] } });
    expect(await fx.keys.findKey('bochum', c.subjectId)).toBeUndefined();
    const history = await fx.get(`/cases/${c.caseId}/history?purpose=audit`, 'auditor');
    expect(history.body.events[0].data.applicant).toMatchObject({ familyName: '[erased]', address: '[erased]' });
    expect(history.body.events[1].data.precheck.rules).toBe('[erased]');
    // The erasure is in the case's history, without any of the erased data.
    expect(history.body.events.find((e: { type: string }) => e.type === 'SubjectErased')).toMatchObject({
      service: 'casefile',
      data: { subjectId: c.subjectId, caseId: c.caseId, ground: 'consent-withdrawn' },
    });
    expect(history.text).not.toContain('Mustermann');
    // A retry records nothing twice; a hold can no longer be placed.
    const again = await fx.send('POST', `/privacy/subjects/${c.subjectId}/erasure`, 'admin', {
      ground: 'consent-withdrawn',
    });
    expect(again.status).toBe(200);
    const after = await fx.get(`/cases/${c.caseId}/history?purpose=audit`, 'auditor');
    expect(after.body.events.filter((e: { type: string }) => e.type === 'SubjectErased')).toHaveLength(1);
    expect(
      (await fx.send('POST', `/privacy/subjects/${c.subjectId}/legal-hold`, 'auditor', { ground: 'legal-claim' }))
        .status,
    ).toBe(409);
  });

  it('lets only admins erase, names bad fields, and answers an unknown subject 404', async () => {
    const c = await knownCase();
    const path = `/privacy/subjects/${c.subjectId}/erasure`;
    expect((await fx.send('POST', path, 'auditor', { ground: 'objection' })).status).toBe(403);
    expect((await fx.send('POST', path, 'intake-agent', { ground: 'objection' })).status).toBe(403);
    const bad = await fx.send('POST', path, 'admin', { ground: 'because', reference: '<script>' });
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['body.ground', 'body.reference']);
    const unknown = await fx.send('POST', '/privacy/subjects/0193a0b0-0000-7000-8000-000000000000/erasure', 'admin', {
      ground: 'objection',
    });
    expect(unknown.status).toBe(404);
    expect((await fx.keys.findKey('bochum', c.subjectId)) instanceof Buffer).toBe(true);
  });

  it('records a live feed again when it stays open into the next day', async () => {
    const c = await knownCase();
    const feed = openFeed(`${fx.url}/cases/${c.caseId}/events`, await fx.auth('scheduler'));
    await feed.ready;
    await feed.until(() => feed.comments > 0);
    const feedRecords = async () =>
      (await fx.get(`/cases/${c.caseId}/history?purpose=audit&limit=1000`, 'auditor')).body.events.filter(
        (e: { type: string; data: { resource?: string } }) =>
          e.type === 'CaseRecordAccessed' && e.data.resource === 'feed',
      ).length;
    expect(await feedRecords()).toBe(1);
    clock += 86_400_000;
    await c.note('the next day');
    await feed.until(() => feed.events.some((e) => e.data.includes('the next day')));
    feed.close();
    expect(await feedRecords()).toBe(2);
  });

  it('destroys the key of an erasure recorded before a crash that left the key in place', async () => {
    const c = await knownCase();
    // The erasure as the route records it, then "the process dies" before destroying the key.
    await fx.store.sealed.append(`privacySubject-${c.subjectId}`, [
      {
        id: crypto.randomUUID(),
        type: 'SubjectErased',
        data: {
          subjectId: c.subjectId,
          caseId: c.caseId,
          ground: 'objection',
          by: 'admin-1',
          at: new Date().toISOString(),
        },
        metadata: { tenantId: 'bochum', caseId: c.caseId, actor: { id: 'admin-1', role: 'admin' }, correlationId: 'x' },
      },
    ]);
    await expect.poll(async () => fx.keys.findKey('bochum', c.subjectId), { timeout: 30_000 }).toBeUndefined();
  });
});
