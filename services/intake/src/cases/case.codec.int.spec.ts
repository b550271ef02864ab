/**
 * The case's codec on what intake really stores: a case opened over HTTP, read as stored (sealed), opened, and
 * after its applicant's erasure — when the case must still load and change, and the case list still project it.
 */
import type { AuditConformance } from '@buergerkoffer/shared/contracts';
import { EventDecodingError, pgliteSql, type Sql } from '@buergerkoffer/shared/event-sourcing';
import { PersonalDataStore } from '@buergerkoffer/shared/privacy';
import { buildTestApp, type TestApp } from '@buergerkoffer/shared/testing';
import { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { openCaseBody } from '../../test/requests.fixture.ts';
import { definition } from '../service.ts';
import { toCaseStreamName } from './case.decider.ts';
import { type CaseEvent, caseCodec } from './case.events.ts';
import { casePersonalData } from './case.privacy.ts';
import { caseListProjection } from './case-list.projection.ts';
import type { caseReferenceAssigned } from './case-reference.ts';

// Casefile folds these events by the audit contracts: each must carry what they read (checked by the compiler).
const audited: AuditConformance<CaseEvent | z.output<typeof caseReferenceAssigned>> = {
  CaseOpened: true,
  ServicesChanged: true,
  EvidenceAttached: true,
  ContactPersonUpdated: true,
  CaseWithdrawn: true,
  CaseReferenceAssigned: true,
};

describe("the case's codec on intake's store", () => {
  let fixture: TestApp;
  let sql: Sql;
  let caseId: string;
  beforeAll(async () => {
    sql = pgliteSql(await PGlite.create());
    fixture = await buildTestApp(definition, { sql });
    const opened = await fixture.app.inject({
      method: 'POST',
      url: '/cases',
      headers: await fixture.auth(),
      payload: { ...openCaseBody, contactPerson: { name: 'Hans Beispiel', relation: 'relative' } },
    });
    caseId = opened.json().caseId;
  }, 60_000);
  afterAll(async () => {
    await fixture.close();
    await sql.close();
  });

  it('decodes the case as stored, every personal field sealed, and refuses it where it should be opened', async () => {
    expect(Object.values(audited).every(Boolean)).toBe(true);
    const [stored] = await fixture.store.readStream(toCaseStreamName(caseId));
    if (!stored) throw new Error('no event');
    const sealed = caseCodec.sealed.decode(stored);
    if (sealed?.type !== 'CaseOpened') throw new Error('not decoded');
    for (const value of [sealed.data.applicant.familyName, sealed.data.mobility, sealed.data.contactPerson]) {
      expect(value).toMatchObject({ $pd: 'v1', sub: sealed.data.applicant.subjectId });
    }
    expect(sealed.data).toMatchObject({ caseId, requestedServices: openCaseBody.requestedServices });
    let refused: EventDecodingError | undefined;
    try {
      caseCodec.decode(stored);
    } catch (error) {
      if (error instanceof EventDecodingError) refused = error;
    }
    expect(refused?.message).toContain(`CaseOpened (schema version 1) at intakeCase-${caseId}@0`);
    expect(refused?.fields.map((field) => field.path)).toContain('data.applicant.familyName');
    expect(refused?.message).not.toContain('Mustermann');
  });

  it("still loads, changes and lists a case once its applicant's key is erased", async () => {
    const [stored] = await fixture.store.readStream(toCaseStreamName(caseId));
    const sealed = stored && caseCodec.sealed.decode(stored);
    if (sealed?.type !== 'CaseOpened') throw new Error('not decoded');
    await fixture.keyStore.erase('bochum', sealed.data.applicant.subjectId);

    const shown = await fixture.app.inject({
      method: 'GET',
      url: `/cases/${caseId}?purpose=subject-request`,
      headers: await fixture.auth('admin'),
    });
    expect(shown.statusCode).toBe(200);
    expect(shown.json()).toMatchObject({
      applicant: { familyName: '[erased]', address: '[erased]' },
      mobility: '[erased]',
    });
    const changed = await fixture.app.inject({
      method: 'POST',
      url: `/cases/${caseId}/services`,
      headers: { ...(await fixture.auth()), 'if-match': shown.headers.etag },
      payload: { add: ['passport'] },
    });
    expect(changed.statusCode).toBe(200);
    // Nothing new is recorded about an erased subject: a withdrawal's reason would be (sealed for nobody).
    const withdrawn = await fixture.app.inject({
      method: 'POST',
      url: `/cases/${caseId}/withdrawal`,
      headers: { ...(await fixture.auth()), 'if-match': changed.headers.etag },
      payload: { reason: 'erased on request' },
    });
    expect(withdrawn.statusCode).toBe(409);
    expect(withdrawn.json()).toMatchObject({ code: 'subject-erased' });

    // As a rebuild projects it now: listed, changed, and nobody's duplicate (no names to compare).
    const { projection, store } = caseListProjection({
      store: new PersonalDataStore(fixture.store, fixture.keyStore, casePersonalData),
      sql,
      duplicateSecret: Buffer.alloc(32, 1),
    });
    const events = await store.readStream(toCaseStreamName(caseId));
    const row = events.reduce<object | undefined>((before, event) => projection.apply(before, event), undefined);
    expect(row).toMatchObject({ case_id: caseId, status: 'open', duplicate_key: null });
  });
});
