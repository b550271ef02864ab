import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { intakeApp } from '../../test/intake-app.fixture.ts';

/** A preferred date `days` after today (UTC): group requests refuse dates in the past. */
const daysAhead = (days: number): string => new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);

const address = { street: 'Parkweg', houseNumber: '1', postalCode: '44787', city: 'Bochum' };
const resident = (familyName: string, services: string[]) => ({
  applicant: {
    givenNames: 'Anna',
    familyName,
    birthDate: '1935-01-02',
    address,
  },
  requestedServices: services,
});

describe('institutions and group requests over HTTP', () => {
  let fixture: Awaited<ReturnType<typeof intakeApp>>;
  beforeAll(async () => {
    fixture = await intakeApp();
  });
  afterAll(async () => fixture.close());

  const registerInstitution = async (tenant = 'bochum') =>
    fixture.app.inject({
      method: 'POST',
      url: '/institutions',
      headers: await fixture.auth('intake-agent', tenant),
      payload: {
        name: 'Haus am Park',
        kind: 'care-home',
        address,
        contact: { name: 'Frau Heim', phone: '+49 234 222' },
      },
    });

  it('registers an institution (201, Location, ETag) and shows it only to its tenant', async () => {
    const created = await registerInstitution();
    expect(created.statusCode).toBe(201);
    const { institutionId } = created.json();
    expect(created.headers.location).toBe(`/institutions/${institutionId}`);
    const own = await fixture.app.inject({
      method: 'GET',
      url: `/institutions/${institutionId}`,
      headers: await fixture.auth(),
    });
    expect(own.json()).toMatchObject({ name: 'Haus am Park', kind: 'care-home', contact: { name: 'Frau Heim' } });
    const other = await fixture.app.inject({
      method: 'GET',
      url: `/institutions/${institutionId}`,
      headers: await fixture.auth('intake-agent', 'herne'),
    });
    expect(other.statusCode).toBe(404);
    const stored = (await fixture.sql.query<{ text: string }>('select data::text as text from es_events'))
      .map((r) => r.text)
      .join('');
    expect(stored).not.toContain('Frau Heim');
  });

  it('opens one case per resident, linked to the group request, and opens none twice when retried', async () => {
    const { institutionId } = (await registerInstitution()).json();
    const send = async () =>
      fixture.app.inject({
        method: 'POST',
        url: `/institutions/${institutionId}/group-requests`,
        headers: { ...(await fixture.auth()), 'idempotency-key': 'group-1' },
        payload: {
          residents: [resident('Beispiel', ['id-card']), resident('Probe', ['life-certificate', 'certified-copy'])],
          preferredDates: [daysAhead(1)],
        },
      });
    const first = await send();
    expect(first.statusCode).toBe(201);
    const { groupRequestId, caseIds } = first.json();
    expect(caseIds).toHaveLength(2);
    // The HTTP answer is replayed; a retry after losing that answer (an expired key) derives the same ids again.
    await fixture.sql.query('delete from http_idempotency');
    const retried = await send();
    expect(retried.json()).toEqual({ groupRequestId, caseIds });
    for (const [index, caseId] of caseIds.entries()) {
      const view = await fixture.app.inject({ method: 'GET', url: `/cases/${caseId}`, headers: await fixture.auth() });
      expect(view.json()).toMatchObject({
        status: 'open',
        channel: 'institution',
        applicant: { familyName: index === 0 ? 'Beispiel' : 'Probe' },
      });
      expect((await fixture.store.readStream(`intakeCase-${caseId}`)).length).toBe(1);
    }
    const institution = await fixture.app.inject({
      method: 'GET',
      url: `/institutions/${institutionId}`,
      headers: await fixture.auth(),
    });
    expect(institution.json().groupRequestIds).toEqual([groupRequestId]);
  });

  it('numbers the residents’ cases in their order and flags those already open as probable duplicates', async () => {
    const { institutionId } = (await registerInstitution()).json();
    const send = async (residents: ReturnType<typeof resident>[]) =>
      (
        await fixture.app.inject({
          method: 'POST',
          url: `/institutions/${institutionId}/group-requests`,
          headers: await fixture.auth(),
          payload: { residents },
        })
      ).json() as { caseIds: string[] };
    const view = async (caseId: string) =>
      (await fixture.app.inject({ method: 'GET', url: `/cases/${caseId}`, headers: await fixture.auth() })).json();
    const [earlier] = (await send([resident('Doppelt', ['id-card'])])).caseIds;
    // The duplicate lookup reads the case list: wait until it lists the earlier case.
    for (let i = 0; ; i++) {
      const rows = await fixture.sql.query('select 1 from intake_case_list where case_id = $1', [earlier]);
      if (rows.length > 0) break;
      if (i > 3000) throw new Error('the case list did not list the earlier case');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const { caseIds } = await send([
      resident('Vorher', ['id-card']),
      resident(' DOPPELT ', ['life-certificate']),
      resident('Nachher', ['id-card']),
    ]);
    const views = await Promise.all(caseIds.map(view));
    expect(views.map((v) => v.possibleDuplicateOf)).toEqual([[], [earlier], []]);
    const numbers = views.map((v) => Number(String(v.reference).split('-')[2]));
    expect(numbers[0]).toBeGreaterThan(0);
    expect(numbers).toEqual([numbers[0], (numbers[0] ?? 0) + 1, (numbers[0] ?? 0) + 2]);
  });

  it('flags a resident alike to an earlier one of the same group request as a probable duplicate of it', async () => {
    const { institutionId } = (await registerInstitution()).json();
    const answer = await fixture.app.inject({
      method: 'POST',
      url: `/institutions/${institutionId}/group-requests`,
      headers: await fixture.auth(),
      payload: { residents: [resident('Zwilling', ['id-card']), resident(' zwilling ', ['passport'])] },
    });
    const { caseIds } = answer.json() as { caseIds: string[] };
    const second = await fixture.app.inject({
      method: 'GET',
      url: `/cases/${caseIds[1]}`,
      headers: await fixture.auth(),
    });
    expect(second.json().possibleDuplicateOf).toEqual([caseIds[0]]);
  });

  it('hands the event loop back between residents, so one large group request does not hold up all others', async () => {
    const { institutionId } = (await registerInstitution()).json();
    const residents = Array.from({ length: 12 }, (_, i) => resident(`Turn ${i}`, ['id-card']));
    // A check-phase callback that re-arms itself runs once per turn of the event loop: it counts the turns the
    // request left to others. (The embedded store answers without a turn of its own, so without handing the loop
    // back the whole request is one or two turns, however many residents.)
    let turns = 0;
    let counting = true;
    const count = () => {
      turns++;
      if (counting) setImmediate(count);
    };
    setImmediate(count);
    const response = await fixture.app.inject({
      method: 'POST',
      url: `/institutions/${institutionId}/group-requests`,
      headers: await fixture.auth(),
      payload: { residents },
    });
    counting = false;
    expect(response.statusCode).toBe(201);
    expect(response.json().caseIds).toHaveLength(12);
    expect(turns).toBeGreaterThanOrEqual(residents.length);
  });

  it('answers 404 for a group request to an unknown institution, and 400 naming bad residents', async () => {
    const unknown = await fixture.app.inject({
      method: 'POST',
      url: '/institutions/0192f0c4-7c1a-7000-8000-00000000ffff/group-requests',
      headers: await fixture.auth(),
      payload: { residents: [resident('X', ['id-card'])] },
    });
    expect(unknown.statusCode).toBe(404);
    const { institutionId } = (await registerInstitution()).json();
    const bad = await fixture.app.inject({
      method: 'POST',
      url: `/institutions/${institutionId}/group-requests`,
      headers: await fixture.auth(),
      payload: { residents: [resident('', ['id-card', 'id-card'])] },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors.map((e: { field: string }) => e.field)).toEqual(
      expect.arrayContaining(['body.residents.0.applicant.familyName', 'body.residents.0.requestedServices.1']),
    );
  });
});
