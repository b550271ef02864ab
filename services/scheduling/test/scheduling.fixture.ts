/**
 * A scheduling service under test with what a booking needs: kits, field staff, and approved cases to plan (their
 * demand appended as the consumer records it from intake's and eligibility's events).
 */

import { type Sql, uuidv7 } from '@buergerkoffer/shared/event-sourcing';
import { buildTestApp, pollUntil, type TestApp } from '@buergerkoffer/shared/testing';
import type { LightMyRequestResponse } from 'fastify';
import { calendarDecider, type Hold } from '../src/calendars/calendar.decider.ts';
import { calendarCodec } from '../src/calendars/calendar.events.ts';
import { definition } from '../src/service.ts';

export const TENANT = 'bochum';
const WEEKDAY_HOURS = [{ from: '08:00', to: '16:00' }];
export const FULL_WEEK = {
  mon: WEEKDAY_HOURS,
  tue: WEEKDAY_HOURS,
  wed: WEEKDAY_HOURS,
  thu: WEEKDAY_HOURS,
  fri: WEEKDAY_HOURS,
};
export const ALL_DEVICES = [
  'notebook',
  'printer',
  'scanner',
  'fingerprint-sensor',
  'signature-pad',
  'camera',
  'change-terminal',
].map((device) => ({ device }));

export interface SchedulingFixture {
  readonly fixture: TestApp;
  as(role: string, tenantId?: string): Promise<{ authorization: string }>;
  kit(name?: string): Promise<string>;
  staff(name?: string): Promise<string>;
  /** An approved case (or a group request's residents) waiting to be planned. */
  approvedCase(options?: { services?: string[]; groupRequestId?: string; tenantId?: string }): Promise<string>;
  /** A request as a caller of one role (default scheduler) and tenant. */
  request(
    method: 'GET' | 'POST' | 'DELETE',
    url: string,
    options?: { role?: string; payload?: object; headers?: Record<string, string>; tenantId?: string },
  ): Promise<LightMyRequestResponse>;
  /** The holds on a resource's day, from its calendar stream (the truth bookings are decided on). */
  holdsOn(stream: string): Promise<readonly Hold[]>;
  /** Waits until the read models show what was written (the queue lists the cases, GET /kits the kits). */
  settled(caseIds: readonly string[]): Promise<void>;
  close(): Promise<void>;
}

export async function schedulingFixture(sql?: Sql): Promise<SchedulingFixture> {
  const fixture = await buildTestApp(definition, { http: { rateLimit: false }, ...(sql ? { sql } : {}) });
  const as = (role: string, tenantId = TENANT) =>
    fixture.auth(role as Parameters<TestApp['auth']>[0], tenantId, `${role}-1`);
  const created = async (url: string, payload: object) => {
    const response = await fixture.app.inject({ method: 'POST', url, headers: await as('admin'), payload });
    if (response.statusCode !== 201) throw new Error(`${url}: ${response.statusCode} ${response.body}`);
    return response.json<Record<string, string>>();
  };
  const kits: string[] = [];
  return {
    fixture,
    as,
    request: async (method, url, options = {}) =>
      fixture.app.inject({
        method,
        url,
        headers: { ...(await as(options.role ?? 'scheduler', options.tenantId)), ...options.headers },
        ...(options.payload ? { payload: options.payload } : {}),
      }),
    async holdsOn(stream) {
      const events = (await fixture.store.readStream(stream)).flatMap((e) => calendarCodec.decode(e) ?? []);
      return events.reduce(calendarDecider.evolve, calendarDecider.initialState()).holds;
    },
    async kit(name = `Koffer ${kits.length + 1}`) {
      const { kitId } = await created('/kits', { name, homeOffice: 'Bürgerbüro Mitte', devices: ALL_DEVICES });
      if (!kitId) throw new Error('no kit id');
      kits.push(kitId);
      return kitId;
    },
    async staff(name = `Mitarbeiterin ${uuidv7().slice(-4)}`) {
      const { staffId } = await created('/staff', {
        displayName: name,
        homeOffice: 'Bürgerbüro Mitte',
        workingHours: FULL_WEEK,
      });
      if (!staffId) throw new Error('no staff id');
      return staffId;
    },
    async approvedCase({ services = ['id-card'], groupRequestId, tenantId = TENANT } = {}) {
      const caseId = uuidv7();
      const at = new Date().toISOString();
      await fixture.store.append(
        `schedulingDemand-${caseId}`,
        [
          {
            id: uuidv7(),
            type: 'DemandRecorded',
            data: {
              caseId,
              applicantSubjectId: uuidv7(),
              requestedServices: services,
              ...(groupRequestId ? { groupRequestId } : {}),
              recordedAt: at,
            },
            metadata: { tenantId, caseId },
          },
          { id: uuidv7(), type: 'DemandApproved', data: { caseId, approvedAt: at }, metadata: { tenantId, caseId } },
        ],
        'no-stream',
      );
      return caseId;
    },
    async settled(caseIds) {
      await pollUntil(
        async () => {
          const queue = await fixture.app.inject({ method: 'GET', url: '/queue', headers: await as('scheduler') });
          const listed = queue.json<{ toPlan: { caseId: string }[] }>().toPlan.map((c) => c.caseId);
          const found = await fixture.app.inject({ method: 'GET', url: '/kits', headers: await as('scheduler') });
          const kitIds = found.json<{ items?: { kitId: string }[] } | { kitId: string }[]>();
          const listedKits = Array.isArray(kitIds) ? kitIds : (kitIds.items ?? []);
          return caseIds.every((id) => listed.includes(id)) && kits.every((k) => listedKits.some((l) => l.kitId === k));
        },
        (done) => done,
        60_000,
        'the read models to show the cases and kits',
      );
    },
    close: () => fixture.close(),
  };
}
