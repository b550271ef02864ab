/**
 * The calendar files: a kit's and a field officer's visits as iCalendar feeds a calendar client subscribes to
 * (`GET /kits/:kitId/calendar.ics`, `GET /staff/:staffId/calendar.ics`), and a kit's day plan for the field team
 * (`GET /kits/:kitId/days/:date`). Reads of the tenant's own kits and staff only (another tenant's answer 404); the
 * addresses where the caller's role and purpose may see them, each read recorded in the participant cases' access
 * logs first, and then the answer is not to be stored (`Cache-Control: no-store`).
 */
import { type EventStore, loadStream } from '@buergerkoffer/shared/event-sourcing';
import {
  HttpProblem,
  mediaTypes,
  notFound,
  principalOf,
  problemResponses,
  type Role,
  requireRole,
  strictDate,
} from '@buergerkoffer/shared/http';
import { accessLog, disclosureOf, type PurposeQuery } from '@buergerkoffer/shared/privacy';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { SchedulingDeps } from '../deps.ts';
import { kitDecider, toKitStreamName } from '../resources/kit.decider.ts';
import { kitCodec } from '../resources/kit.events.ts';
import { loadSettings } from '../resources/settings.store.ts';
import { staffDecider, toStaffStreamName } from '../resources/staff.decider.ts';
import { staffCodec } from '../resources/staff.events.ts';
import { addDays, localDateOf } from '../time/local-time.ts';
import { findVisits, type VisitFilter, withAddresses } from './calendar.reads.ts';
import { calendarQuery, dayPlan, dayPlanQuery, icsDocument } from './calendar.schemas.ts';
import { dayPlanOf } from './day-plan.ts';
import { CALENDAR_STATUSES, visitCalendar } from './visit-calendar.ts';

export type CalendarRouteDeps = Pick<SchedulingDeps, 'store' | 'sealedStore' | 'sql' | 'protector' | 'now'>;

const READERS: readonly Role[] = ['scheduler', 'field-officer', 'admin', 'auditor'];
const DAYS_BACK = 30;
const DAYS_AHEAD = 90;
const MAX_DAYS = 366;
const DAY_MS = 86_400_000;

const kitParams = z.object({ kitId: z.uuid() });
const staffParams = z.object({ staffId: z.uuid() });
const dayParams = kitParams.extend({ date: strictDate.describe('The local date (yyyy-mm-dd)') });
const calendarResponses = {
  200: mediaTypes('The visits as an iCalendar feed: planned (tentative), confirmed, and cancelled ones to remove', {
    'text/calendar': icsDocument,
  }),
  ...problemResponses(400, 403, 404),
};

const invalid = (field: string, message: string) =>
  new HttpProblem(400, 'validation', '1 invalid field(s)', { errors: [{ field, message }] });

/** The dates asked for, by default a month back and three months ahead of today in the tenant's zone. */
function rangeOf(query: { from?: string | undefined; to?: string | undefined }, timeZone: string, now: Date) {
  const today = localDateOf(now, timeZone);
  const from = query.from ?? addDays(today, -DAYS_BACK);
  const to = query.to ?? addDays(query.from ?? today, query.from ? DAYS_BACK + DAYS_AHEAD : DAYS_AHEAD);
  if (to < from) throw invalid('querystring.to', 'the last date is on or after the first');
  if ((Date.parse(to) - Date.parse(from)) / DAY_MS > MAX_DAYS)
    throw invalid('querystring.to', `at most ${MAX_DAYS} days after the first date`);
  return { from, to };
}

/** Answers a private read: not to be stored when it shows personal data, else revalidated on every use. */
const cacheControl = (reply: FastifyReply, personal: boolean) =>
  reply.header('cache-control', personal ? 'no-store' : 'private, no-cache');

export const calendarRoutes =
  (deps: CalendarRouteDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const log = accessLog(deps.store, deps.now);
    const reads = { sealedStore: deps.sealedStore, protector: deps.protector, log };
    const store: EventStore = deps.sealedStore;

    /** The tenant's kit, or 404 (another tenant's reads as absent). */
    const kitOf = async (request: FastifyRequest, kitId: string) => {
      const { state, tenantId } = await loadStream(store, kitDecider, kitCodec.decode, toKitStreamName(kitId));
      if (state.status === 'none' || tenantId !== principalOf(request).tenantId) throw notFound(`no kit ${kitId}`);
      return state;
    };
    const staffOf = async (request: FastifyRequest, staffId: string) => {
      const { state, tenantId } = await loadStream(store, staffDecider, staffCodec.decode, toStaffStreamName(staffId));
      if (state.status === 'none' || tenantId !== principalOf(request).tenantId)
        throw notFound(`no member of staff ${staffId}`);
      return state;
    };

    /** The visits the filter selects in the dates asked for, as an iCalendar file. */
    const calendarFile = async (
      request: FastifyRequest,
      reply: FastifyReply,
      query: PurposeQuery & { from?: string | undefined; to?: string | undefined },
      of: { readonly name: string; readonly file: string; readonly filter: Pick<VisitFilter, 'kitId' | 'staffId'> },
    ) => {
      const principal = principalOf(request);
      const disclosure = disclosureOf(principal, query.purpose);
      const { settings } = await loadSettings(store, principal.tenantId);
      const range = rangeOf(query, settings.timeZone, deps.now());
      const found = await findVisits(deps.sql, principal.tenantId, {
        ...of.filter,
        ...range,
        statuses: CALENDAR_STATUSES,
      });
      const { entries, personal } = await withAddresses(reads, request, found, {
        disclosure,
        resource: 'visit-calendar',
        reference: query.reference,
      });
      const ics = visitCalendar(entries, {
        name: `Bürgerkoffer – ${of.name}`,
        timeZone: settings.timeZone,
        generatedAt: deps.now(),
      });
      return cacheControl(reply, personal)
        .type('text/calendar; charset=utf-8')
        .header('content-disposition', `inline; filename="${of.file}"`)
        .send(ics);
    };

    app.get(
      '/kits/:kitId/calendar.ics',
      {
        onRequest: requireRole(...READERS),
        schema: {
          tags: ['calendars'],
          operationId: 'schedulingGetKitCalendar',
          summary: "The kit's visits as an iCalendar feed (a read of each address shown is recorded in its cases)",
          params: kitParams,
          querystring: calendarQuery,
          response: calendarResponses,
        },
      },
      async (request, reply) => {
        const { kitId } = request.params;
        const kit = await kitOf(request, kitId);
        return calendarFile(request, reply, request.query, {
          name: kit.name,
          file: `kit-${kitId}.ics`,
          filter: { kitId },
        });
      },
    );

    app.get(
      '/staff/:staffId/calendar.ics',
      {
        onRequest: requireRole(...READERS),
        schema: {
          tags: ['calendars'],
          operationId: 'schedulingGetStaffCalendar',
          summary:
            "A field officer's visits as an iCalendar feed (a read of each address shown is recorded in its cases)",
          params: staffParams,
          querystring: calendarQuery,
          response: calendarResponses,
        },
      },
      async (request, reply) => {
        const { staffId } = request.params;
        const member = await staffOf(request, staffId);
        return calendarFile(request, reply, request.query, {
          name: member.displayName,
          file: `staff-${staffId}.ics`,
          filter: { staffId },
        });
      },
    );

    app.get(
      '/kits/:kitId/days/:date',
      {
        onRequest: requireRole(...READERS),
        schema: {
          tags: ['calendars'],
          operationId: 'schedulingGetKitDayPlan',
          summary: "The kit's day for the field team: visits in order, services, devices (reads of addresses recorded)",
          params: dayParams,
          querystring: dayPlanQuery,
          response: { 200: dayPlan, ...problemResponses(400, 403, 404) },
        },
      },
      async (request, reply) => {
        const { kitId, date } = request.params;
        await kitOf(request, kitId);
        const principal = principalOf(request);
        const disclosure = disclosureOf(principal, request.query.purpose);
        const { settings } = await loadSettings(store, principal.tenantId);
        const found = await findVisits(deps.sql, principal.tenantId, {
          kitId,
          from: date,
          to: date,
          statuses: ['planned', 'confirmed', 'cancelled'],
        });
        const { entries, personal } = await withAddresses(reads, request, found, {
          disclosure,
          resource: 'day-plan',
          reference: request.query.reference,
        });
        cacheControl(reply, personal);
        return dayPlanOf(kitId, date, settings.timeZone, entries);
      },
    );
  };
