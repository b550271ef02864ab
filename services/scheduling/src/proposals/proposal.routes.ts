/**
 * The scheduler's planning: the queue (cases to plan, visits to reschedule) and proposals for a case or a group
 * request. Nothing personal: ids, services, times.
 */
import { notFound, principalOf, problemResponses, requireRole } from '@buergerkoffer/shared/http';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { proposalsView } from '../visits/visit.schemas.ts';
import type { PlanningDeps } from './planning-data.ts';
import { proposalsFor } from './proposals.ts';

const dates = z
  .string()
  .transform((value) => value.split(',').filter(Boolean))
  .pipe(z.array(z.iso.date()).max(31));

const proposalQuery = z
  .strictObject({
    caseId: z.uuid().optional(),
    groupRequestId: z.uuid().optional(),
    from: z.iso.date().optional().describe('The first date to look at (default: today)'),
    preferredDates: dates.optional().describe('Comma-separated dates to try first'),
    limit: z.coerce.number().int().min(1).max(50).default(5),
  })
  .refine((q) => (q.caseId === undefined) !== (q.groupRequestId === undefined), {
    message: 'give caseId or groupRequestId',
    path: ['caseId'],
  });

const queueView = z
  .object({
    toPlan: z.array(
      z.object({
        caseId: z.string(),
        requestedServices: z.array(z.string()),
        groupRequestId: z.string().nullable(),
        institutionId: z.string().nullable(),
        since: z.string(),
      }),
    ),
    needsRescheduling: z.array(
      z.object({
        visitId: z.string(),
        date: z.string(),
        start: z.string(),
        kitId: z.string(),
        caseIds: z.array(z.string()),
        reason: z.string(),
      }),
    ),
  })
  .describe(
    "The scheduler's queue: approved cases to plan (longest waiting first) and visits flagged for rescheduling",
  );

export const proposalRoutes =
  (deps: PlanningDeps & { readonly now: () => Date }): FastifyPluginAsyncZod =>
  async (app) => {
    app.get(
      '/proposals',
      {
        onRequest: requireRole('scheduler'),
        schema: {
          tags: ['planning'],
          operationId: 'schedulingProposals',
          summary: 'The earliest feasible slots for a case or a group request (preferred dates first)',
          querystring: proposalQuery,
          response: { 200: proposalsView, ...problemResponses(403, 404) },
        },
      },
      async (request) => {
        const { caseId, groupRequestId, from, preferredDates, limit } = request.query;
        const which = caseId ? { caseIds: [caseId] } : { groupRequestId: groupRequestId ?? '' };
        const found = await proposalsFor(deps, principalOf(request).tenantId, which, { from, preferredDates, limit });
        if (found.demand.length === 0) throw notFound('nothing to plan for that case or group request');
        const { demand: _demand, ...answer } = found;
        return answer;
      },
    );

    app.get(
      '/queue',
      {
        onRequest: requireRole('scheduler', 'admin'),
        schema: {
          tags: ['planning'],
          operationId: 'schedulingQueue',
          summary: "The scheduler's queue: cases to plan and visits to reschedule",
          response: { 200: queueView, ...problemResponses(403) },
        },
      },
      async (request) => {
        const tenantId = principalOf(request).tenantId;
        const [toPlan, flagged] = await Promise.all([
          deps.sql.query<{
            case_id: string;
            requested_services: string[] | null;
            group_request_id: string | null;
            institution_id: string | null;
            since: Date | string;
          }>(
            `select case_id, requested_services, group_request_id, institution_id, since from scheduling_demand
              where tenant_id = $1 and status = 'to-plan' order by since, case_id limit 500`,
            [tenantId],
          ),
          deps.sql.query<{
            visit_id: string;
            date: string;
            starts_at: Date | string;
            kit_id: string;
            case_ids: string[];
            flag: { reason: string };
          }>(
            `select visit_id, to_char(date, 'YYYY-MM-DD') as date, starts_at, kit_id, case_ids, flag from scheduling_visits
              where tenant_id = $1 and flag is not null and status in ('planned', 'confirmed') order by starts_at limit 500`,
            [tenantId],
          ),
        ]);
        return {
          toPlan: toPlan.map((r) => ({
            caseId: r.case_id,
            requestedServices: r.requested_services ?? [],
            groupRequestId: r.group_request_id,
            institutionId: r.institution_id,
            since: new Date(r.since).toISOString(),
          })),
          needsRescheduling: flagged.map((r) => ({
            visitId: r.visit_id,
            date: String(r.date),
            start: new Date(r.starts_at).toISOString(),
            kitId: r.kit_id,
            caseIds: r.case_ids,
            reason: r.flag.reason,
          })),
        };
      },
    );
  };
