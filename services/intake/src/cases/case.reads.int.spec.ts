/**
 * One read of a case's stream per request: a view, and a change (load, tenant check, If-Match check, decide and
 * append at the revision read) — it used to be two and three (the first event for the tenant, the stream, and the
 * command handler's own load).
 */
import { pgliteSql, type Sql } from '@buergerkoffer/shared/event-sourcing';
import { buildTestApp, type TestApp } from '@buergerkoffer/shared/testing';
import { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openCaseBody } from '../../test/requests.fixture.ts';
import { definition } from '../service.ts';

describe('reads of a case per request', () => {
  let fixture: TestApp;
  let sql: Sql;
  const streamReads: string[] = [];
  beforeAll(async () => {
    const inner = pgliteSql(await PGlite.create());
    sql = {
      ...inner,
      query: (text, params) => {
        // A read of one stream's events (readStream): its first parameter is the stream.
        if (text.includes('from es_events e') && text.includes('e.stream = $1') && text.includes('e.revision'))
          streamReads.push(String(params?.[0]));
        return inner.query(text, params);
      },
    };
    fixture = await buildTestApp(definition, { sql });
  }, 60_000);
  afterAll(async () => {
    await fixture.close();
    await sql.close();
  });

  it('reads the stream once to show a case, and once to change it', async () => {
    const opened = await fixture.app.inject({
      method: 'POST',
      url: '/cases',
      headers: await fixture.auth(),
      payload: openCaseBody,
    });
    expect(opened.statusCode).toBe(201);
    const { caseId } = opened.json();
    const stream = `intakeCase-${caseId}`;
    const readsOf = () => streamReads.filter((read) => read === stream).length;

    let before = readsOf();
    const shown = await fixture.app.inject({ method: 'GET', url: `/cases/${caseId}`, headers: await fixture.auth() });
    expect(shown.statusCode).toBe(200);
    expect(readsOf() - before).toBe(1);

    before = readsOf();
    const changed = await fixture.app.inject({
      method: 'POST',
      url: `/cases/${caseId}/services`,
      headers: { ...(await fixture.auth()), 'if-match': 'W/"0"' },
      payload: { add: ['passport'] },
    });
    expect(changed.statusCode).toBe(200);
    expect(changed.json().requestedServices).toEqual(['id-card', 'passport']);
    expect(readsOf() - before).toBe(1);

    // Another tenant's caller: one read, then 404 as if the case did not exist.
    before = readsOf();
    const foreign = await fixture.app.inject({
      method: 'GET',
      url: `/cases/${caseId}`,
      headers: await fixture.auth('intake-agent', 'herne'),
    });
    expect(foreign.statusCode).toBe(404);
    expect(readsOf() - before).toBe(1);
  });
});
