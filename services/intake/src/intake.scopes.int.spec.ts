/** Which roles may call which intake route: every role against every route (403 exactly where not allowed). */
import { ROLES, type Role } from '@buergerkoffer/shared/http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { intakeApp } from '../test/intake-app.fixture.ts';

const WRITERS: readonly Role[] = ['intake-agent', 'admin'];
const READERS: readonly Role[] = ['intake-agent', 'eligibility-officer', 'scheduler', 'admin'];
const someId = '0192f0c4-7c1a-7000-8000-00000000aaaa';

const routes = [
  { method: 'POST', url: '/cases', allowed: WRITERS },
  { method: 'GET', url: '/cases', allowed: READERS },
  { method: 'GET', url: `/cases/${someId}`, allowed: READERS },
  { method: 'POST', url: `/cases/${someId}/services`, allowed: WRITERS },
  { method: 'POST', url: `/cases/${someId}/evidence`, allowed: WRITERS },
  { method: 'PUT', url: `/cases/${someId}/contact-person`, allowed: WRITERS },
  { method: 'POST', url: `/cases/${someId}/withdrawal`, allowed: WRITERS },
  { method: 'POST', url: '/institutions', allowed: WRITERS },
  { method: 'GET', url: `/institutions/${someId}`, allowed: READERS },
  { method: 'POST', url: `/institutions/${someId}/group-requests`, allowed: WRITERS },
] as const;

describe('intake route scopes', () => {
  let fixture: Awaited<ReturnType<typeof intakeApp>>;
  beforeAll(async () => {
    fixture = await intakeApp();
  });
  afterAll(async () => fixture.close());

  for (const route of routes) {
    describe(`${route.method} ${route.url.replace(someId, '{id}')}`, () => {
      it(`allows ${route.allowed.join(', ')} and refuses every other role with 403`, async () => {
        for (const role of ROLES) {
          const response = await fixture.app.inject({
            method: route.method,
            url: route.url,
            headers: await fixture.auth(role),
            payload: route.method === 'GET' ? undefined : {},
          });
          if (route.allowed.includes(role)) expect(response.statusCode, role).not.toBe(403);
          else expect(response.statusCode, role).toBe(403);
        }
        const anonymous = await fixture.app.inject({ method: route.method, url: route.url });
        expect(anonymous.statusCode).toBe(401);
      });
    });
  }
});
