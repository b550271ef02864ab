/**
 * The scheduler's visits: book (201, or 409 slot-taken naming the resource with the next proposals), read, list,
 * reschedule, confirm, cancel, take a participant off — each change with If-Match, each write idempotent.
 */
import { deterministicId, uuidv7 } from '@buergerkoffer/shared/event-sourcing';
import {
  commandKeyOf,
  etag,
  HttpProblem,
  ifMatchHeader,
  ifMatchRevision,
  locationOf,
  notFound,
  principalOf,
  problemResponseFor,
  problemResponses,
  type Role,
  requireRole,
  withHeaders,
} from '@buergerkoffer/shared/http';
import { accessLog, disclosureOf, purposeQuery, withhold } from '@buergerkoffer/shared/privacy';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { TakenRef } from '../calendars/calendar.events.ts';
import type { SchedulingDeps } from '../deps.ts';
import type { PlanningDeps } from '../proposals/planning-data.ts';
import { proposalsFor } from '../proposals/proposals.ts';
import { loadSettings } from '../resources/settings.store.ts';
import { checkPlan, plannableDemand } from './plan-check.ts';
import type { VisitCommand } from './visit.commands.ts';
import { addressOf, loadVisit, recordVisitRead } from './visit.reads.ts';
import { bookVisitBody, cancelBody, confirmBody, rescheduleBody, visitView } from './visit.schemas.ts';
import { visitViewOf } from './visit.view.ts';
import { onVisit, runBooking, runReschedule, type StepContext } from './visit-booking.ts';

export type VisitRouteDeps = Pick<SchedulingDeps, 'store' | 'sealedStore' | 'sql' | 'protector' | 'now'> &
  Pick<PlanningDeps, 'holidays'>;

const READERS: readonly Role[] = ['scheduler', 'field-officer', 'admin', 'auditor'];
const params = z.object({ visitId: z.uuid() });
const listQuery = z.strictObject({
  from: z.iso.date().optional(),
  to: z.iso.date().optional(),
  status: z.enum(['booking', 'planned', 'confirmed', 'refused', 'cancelled']).optional(),
  kitId: z.uuid().optional(),
  staffId: z.uuid().optional(),
});
const visitListItem = z.object({
  visitId: z.string(),
  status: z.string(),
  kitId: z.string(),
  staffIds: z.array(z.string()),
  date: z.string(),
  start: z.string(),
  end: z.string(),
  caseIds: z.array(z.string()),
  placeKind: z.string(),
  needsRescheduling: z.boolean(),
});
/** A 409 of a booking or reschedule: slot-taken names the resource and the next slots; other codes say why. */
const refusal = problemResponseFor(
  409,
  'slot-taken: the kit or a member of staff is booked then (`resource`, and `next`: the next feasible slots); ' +
    'case-planned-elsewhere: a participant is on another visit; or case-not-plannable, kit-unavailable, ' +
    'staff-unavailable, not-a-working-day, visit-action-not-allowed',
);

/**
 * 409 slot-taken, with the next proposals for the same participants — or case-planned-elsewhere, when a participant
 * turned out to be on another visit (or no longer to be planned) as the booking claimed it.
 */
async function slotTakenProblem(
  deps: VisitRouteDeps,
  tenantId: string,
  resource: TakenRef | null,
  caseIds: readonly string[],
  ignoreVisitId?: string,
): Promise<HttpProblem> {
  if (resource?.kind === 'case')
    return new HttpProblem(409, 'case-planned-elsewhere', `case ${resource.id} is on another visit or not to plan`, {
      resource,
    });
  const next = await proposalsFor(deps, tenantId, { caseIds }, { limit: 3, ignoreVisitId }).catch(() => undefined);
  return new HttpProblem(
    409,
    'slot-taken',
    resource ? `the ${resource.kind} ${resource.id} is booked at that time` : 'the slot is taken',
    { resource, next: next?.proposals ?? [] },
  );
}

export const visitRoutes =
  (deps: VisitRouteDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const reads = accessLog(deps.store, deps.now);
    const steps = { store: deps.sealedStore, now: deps.now };
    /** Plans are checked on what is stored as stored: nothing personal is read. */
    const planning = { ...deps, store: deps.sealedStore };
    const stepContext = (request: FastifyRequest): StepContext => {
      const principal = principalOf(request);
      return {
        tenantId: principal.tenantId,
        actor: { id: principal.subject, role: principal.roles[0] ?? 'unknown' },
        correlationId: String(request.id),
      };
    };
    /** The tenant's visit or 404 (another tenant's reads as absent). */
    const load = async (request: FastifyRequest, visitId: string) => {
      const loaded = await loadVisit(deps.sealedStore, visitId);
      if (loaded.state.status === 'none' || loaded.tenantId !== principalOf(request).tenantId)
        throw notFound(`no visit ${visitId}`);
      return loaded;
    };
    /** The visit as the writer's or reader's disclosure shows it, the read recorded where it shows the address. */
    const answer = async (
      request: FastifyRequest,
      reply: FastifyReply,
      visitId: string,
      purpose: Parameters<typeof disclosureOf>[1],
      reference?: string,
    ) => {
      const principal = principalOf(request);
      const { state, revision } = await load(request, visitId);
      if (state.status === 'none') throw notFound(`no visit ${visitId}`);
      const disclosure = disclosureOf(principal, purpose);
      const { settings } = await loadSettings(deps.sealedStore, principal.tenantId);
      const address = await addressOf(deps, principal, visitId, disclosure);
      await recordVisitRead(reads, request, state, 'visit', disclosure, reference);
      reply.header('etag', etag(revision)).header('cache-control', 'no-store');
      return withhold(visitViewOf(state, settings.timeZone, address), disclosure, {});
    };
    /** A change with If-Match (412 when stale, 428 without), idempotent by its key. */
    const change = async (request: FastifyRequest, visitId: string, command: VisitCommand) => {
      await load(request, visitId);
      const result = await onVisit(steps, visitId, command, {
        ...stepContext(request),
        expectedRevision: ifMatchRevision(request),
        ...commandKeyOf(request),
      });
      return { result };
    };

    app.post(
      '/visits',
      {
        onRequest: requireRole('scheduler'),
        schema: {
          tags: ['visits'],
          operationId: 'schedulingBookVisit',
          summary:
            'Books a visit: holds the kit and both staff on their calendars, then plans it — or answers slot-taken',
          body: bookVisitBody,
          response: {
            201: withHeaders(visitView, 'Location', 'ETag'),
            ...refusal,
            ...problemResponses(403, 404),
          },
        },
      },
      async (request, reply) => {
        const principal = principalOf(request);
        const { caseIds, place, ...plan } = request.body;
        const { idempotencyKey } = commandKeyOf(request);
        const visitId = idempotencyKey ? deterministicId('visit', principal.tenantId, idempotencyKey) : uuidv7();
        const demand = await plannableDemand(deps.sql, principal.tenantId, caseIds, visitId);
        const participants = demand.map((d) => ({
          caseId: d.caseId,
          ...(d.subjectId ? { subjectId: d.subjectId } : {}),
          services: [...d.services],
        }));
        const { settings } = await loadSettings(deps.sealedStore, principal.tenantId);
        const checked = await checkPlan(planning, principal.tenantId, settings, plan, participants);
        const groups = new Set(demand.map((d) => d.groupRequestId));
        const [group] = groups;
        // Started through the sealing store: the address is sealed with the applicant's key (a home visit's).
        await onVisit(
          { store: deps.store, now: deps.now },
          visitId,
          {
            type: 'StartBooking',
            visitId,
            participants,
            place,
            // Anywhere but an institution (a home, a relative's flat, a hospital room) says where someone is: the
            // address is sealed with the applicant's key (the first participant's, where a couple is visited).
            placeSubjectId: place.kind === 'institution' ? undefined : participants[0]?.subjectId,
            groupRequestId: groups.size === 1 ? group : undefined,
            requiredDevices: checked.requiredDevices,
            kitId: plan.kitId,
            staffIds: plan.staffIds,
            date: checked.date,
            start: checked.start,
            end: checked.end,
            bufferMinutes: settings.travelBufferMinutes,
            by: principal.subject,
            now: deps.now().toISOString(),
          },
          { ...stepContext(request), ...(idempotencyKey ? { idempotencyKey } : {}) },
          caseIds,
        );
        const outcome = await runBooking(steps, visitId, stepContext(request));
        if (outcome.status === 'refused')
          throw await slotTakenProblem(deps, principal.tenantId, outcome.resource, caseIds, visitId);
        reply.code(201).header('location', locationOf(request, visitId));
        return answer(request, reply, visitId, undefined);
      },
    );

    app.get(
      '/visits',
      {
        onRequest: requireRole(...READERS),
        schema: {
          tags: ['visits'],
          operationId: 'schedulingListVisits',
          summary: "The tenant's visits by date (nothing personal)",
          querystring: listQuery,
          response: {
            200: z.object({ items: z.array(visitListItem) }).describe("The tenant's visits in start order"),
            ...problemResponses(403),
          },
        },
      },
      async (request) => {
        const { from, to, status, kitId, staffId } = request.query;
        const rows = await deps.sql.query<{
          visit_id: string;
          status: string;
          kit_id: string;
          staff_ids: string[];
          date: string;
          starts_at: Date | string;
          ends_at: Date | string;
          case_ids: string[];
          place_kind: string;
          flag: unknown;
        }>(
          `select visit_id, status, kit_id, staff_ids, to_char(date, 'YYYY-MM-DD') as date, starts_at, ends_at,
                  case_ids, place_kind, flag
             from scheduling_visits
            where tenant_id = $1 and ($2::date is null or date >= $2) and ($3::date is null or date <= $3)
              and ($4::text is null or status = $4) and ($5::text is null or kit_id = $5)
              and ($6::text is null or staff_ids ? $6)
            order by starts_at, visit_id limit 1000`,
          [principalOf(request).tenantId, from ?? null, to ?? null, status ?? null, kitId ?? null, staffId ?? null],
        );
        return {
          items: rows.map((r) => ({
            visitId: r.visit_id,
            status: r.status,
            kitId: r.kit_id,
            staffIds: r.staff_ids,
            date: String(r.date),
            start: new Date(r.starts_at).toISOString(),
            end: new Date(r.ends_at).toISOString(),
            caseIds: r.case_ids,
            placeKind: r.place_kind,
            needsRescheduling: r.flag !== null,
          })),
        };
      },
    );

    app.get(
      '/visits/:visitId',
      {
        onRequest: requireRole(...READERS),
        schema: {
          tags: ['visits'],
          operationId: 'schedulingGetVisit',
          summary: 'Reads a visit (a read of its address is recorded in each participant case)',
          params,
          querystring: z.strictObject(purposeQuery),
          response: { 200: withHeaders(visitView, 'ETag'), ...problemResponses(400, 403, 404) },
        },
      },
      async (request, reply) =>
        answer(request, reply, request.params.visitId, request.query.purpose, request.query.reference),
    );

    app.post(
      '/visits/:visitId/reschedule',
      {
        onRequest: requireRole('scheduler'),
        schema: {
          tags: ['visits'],
          operationId: 'schedulingRescheduleVisit',
          summary: 'Moves a visit: holds the new kit, staff and time, then lets the old ones go — or slot-taken',
          params,
          headers: ifMatchHeader,
          body: rescheduleBody,
          response: { 200: withHeaders(visitView, 'ETag'), ...refusal, ...problemResponses(403, 404, 412, 428) },
        },
      },
      async (request, reply) => {
        const { visitId } = request.params;
        const principal = principalOf(request);
        const { state } = await load(request, visitId);
        if (state.status === 'none') throw notFound(`no visit ${visitId}`);
        const { settings } = await loadSettings(deps.sealedStore, principal.tenantId);
        const checked = await checkPlan(planning, principal.tenantId, settings, request.body, state.participants);
        const { result } = await change(request, visitId, {
          type: 'StartReschedule',
          visitId,
          kitId: request.body.kitId,
          staffIds: request.body.staffIds,
          date: checked.date,
          start: checked.start,
          end: checked.end,
          bufferMinutes: settings.travelBufferMinutes,
          by: principal.subject,
          now: deps.now().toISOString(),
        });
        const started = result.state.status === 'none' ? undefined : (result.state.pending ?? result.state.allocation);
        if (!started) throw notFound(`no visit ${visitId}`);
        const outcome = await runReschedule(steps, visitId, started.holdId, stepContext(request));
        if (outcome.status === 'refused')
          throw await slotTakenProblem(
            deps,
            principal.tenantId,
            outcome.resource,
            state.participants.map((p) => p.caseId),
            visitId,
          );
        return answer(request, reply, visitId, undefined);
      },
    );

    app.post(
      '/visits/:visitId/confirm',
      {
        onRequest: requireRole('scheduler'),
        schema: {
          tags: ['visits'],
          operationId: 'schedulingConfirmVisit',
          summary: 'Records that the citizen, their contact person or the institution agreed to the visit',
          params,
          headers: ifMatchHeader,
          body: confirmBody,
          response: { 200: withHeaders(visitView, 'ETag'), ...problemResponses(403, 404, 409, 412, 428) },
        },
      },
      async (request, reply) => {
        const { visitId } = request.params;
        await change(request, visitId, {
          type: 'Confirm',
          visitId,
          confirmedBy: request.body.confirmedBy,
          by: principalOf(request).subject,
          now: deps.now().toISOString(),
        });
        return answer(request, reply, visitId, undefined);
      },
    );

    app.post(
      '/visits/:visitId/cancel',
      {
        onRequest: requireRole('scheduler'),
        schema: {
          tags: ['visits'],
          operationId: 'schedulingCancelVisit',
          summary: 'Cancels a visit with a reason; its kit and staff are free again, its cases back on the plan',
          params,
          headers: ifMatchHeader,
          body: cancelBody,
          response: { 200: withHeaders(visitView, 'ETag'), ...problemResponses(403, 404, 409, 412, 428) },
        },
      },
      async (request, reply) => {
        const { visitId } = request.params;
        await change(request, visitId, {
          type: 'Cancel',
          visitId,
          reason: request.body.reason,
          by: principalOf(request).subject,
          now: deps.now().toISOString(),
        });
        return answer(request, reply, visitId, undefined);
      },
    );

    app.delete(
      '/visits/:visitId/participants/:caseId',
      {
        onRequest: requireRole('scheduler'),
        schema: {
          tags: ['visits'],
          operationId: 'schedulingRemoveParticipant',
          summary: 'Takes a case off a visit (back on the plan); the last participant leaving cancels the visit',
          params: params.extend({ caseId: z.uuid() }),
          headers: ifMatchHeader,
          response: { 200: withHeaders(visitView, 'ETag'), ...problemResponses(400, 403, 404, 409, 412, 428) },
        },
      },
      async (request, reply) => {
        const { visitId, caseId } = request.params;
        await change(request, visitId, {
          type: 'RemoveParticipant',
          visitId,
          caseId,
          reason: 'scheduler',
          by: principalOf(request).subject,
          now: deps.now().toISOString(),
        });
        return answer(request, reply, visitId, undefined);
      },
    );
  };
