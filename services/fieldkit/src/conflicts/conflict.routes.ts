/**
 * The office's review of records held as conflicts (a record made on a manifest the office had changed since):
 * the list with the kit's record beside the visit as the office has it now, and the resolution — accept the kit's
 * version, keep the office's, or merge (the kit's record with the office's corrections) — recorded with who decided
 * and why (a reason code: free text could describe health). An accepted or merged record takes effect then, and is
 * published like any other.
 */
import { conflictResolution, conflictSeverity, resolveConflictBody, syncRecord } from '@buergerkoffer/shared/contracts';
import { handleCommand } from '@buergerkoffer/shared/event-sourcing';
import {
  commandKeyOf,
  notFound,
  principalOf,
  problemResponseFor,
  problemResponses,
  type Role,
  requireRole,
} from '@buergerkoffer/shared/http';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { FieldkitDeps } from '../deps.ts';
import { contentHashOf } from '../sync/sync.ts';
import { fieldVisitDecider, participantsAt } from '../visits/field-visit.decider.ts';
import { fieldVisitCodec, toFieldVisitStreamName } from '../visits/field-visit.events.ts';
import type { ConflictRow, FieldVisitRow } from '../visits/field-visit.projections.ts';

const REVIEWERS: readonly Role[] = ['scheduler', 'field-officer', 'admin'];

const conflictView = z.object({
  conflictId: z.string(),
  visitId: z.string(),
  kitId: z.string(),
  caseId: z.string().nullable(),
  severity: conflictSeverity,
  /** What the office changed since the record's base: that the record touches (hard), or at all (soft). */
  fields: z.array(z.string()),
  status: z.enum(['open', 'resolved']),
  /** The record as the kit sent it. */
  record: z.record(z.string(), z.unknown()),
  /** The visit's manifest version when the record arrived (the record's own base is in `record.baseVersion`). */
  officeVersion: z.number().int(),
  /** The visit as the office has it now. */
  office: z
    .object({
      status: z.string(),
      version: z.number().int(),
      kitId: z.string(),
      staffIds: z.array(z.string()),
      start: z.string(),
      end: z.string(),
      caseIds: z.array(z.string()),
    })
    .nullable(),
  recordedAt: z.string(),
  resolution: conflictResolution.nullable(),
  reason: z.string().nullable(),
  resolvedBy: z.object({ id: z.string(), role: z.string() }).nullable(),
  resolvedAt: z.string().nullable(),
});

const iso = (value: string | Date | null) => (value === null ? null : new Date(value).toISOString());

function viewOf(row: ConflictRow, visit: FieldVisitRow | undefined): z.infer<typeof conflictView> {
  const state = visit?.state;
  return {
    conflictId: row.conflict_id,
    visitId: row.visit_id,
    kitId: row.kit_id,
    caseId: row.case_id,
    severity: conflictSeverity.parse(row.severity),
    fields: [...row.fields],
    status: row.status === 'resolved' ? 'resolved' : 'open',
    record: row.record,
    officeVersion: row.office_version,
    office: state
      ? {
          status: state.status,
          version: state.version,
          kitId: state.kitId,
          staffIds: [...state.staffIds],
          start: state.start,
          end: state.end,
          caseIds: participantsAt(state, state.version).map((p) => p.caseId),
        }
      : null,
    recordedAt: iso(row.recorded_at) ?? '',
    resolution: row.resolution === null ? null : conflictResolution.parse(row.resolution),
    reason: row.reason,
    resolvedBy: row.resolved_by,
    resolvedAt: iso(row.resolved_at),
  };
}

export const conflictRoutes =
  (deps: FieldkitDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const visitsOf = async (tenantId: string, visitIds: readonly string[]) => {
      if (visitIds.length === 0) return new Map<string, FieldVisitRow>();
      const rows = await deps.sql.query<FieldVisitRow>(
        'select * from fieldkit_visits where tenant_id = $1 and visit_id = any($2::text[])',
        [tenantId, [...new Set(visitIds)]],
      );
      return new Map(rows.map((row) => [row.visit_id, row]));
    };
    const find = async (tenantId: string, conflictId: string) => {
      const [row] = await deps.sql.query<ConflictRow>(
        'select * from fieldkit_conflicts where tenant_id = $1 and conflict_id = $2',
        [tenantId, conflictId],
      );
      if (!row) throw notFound(`no conflict ${conflictId}`);
      return row;
    };

    app.get(
      '/conflicts',
      {
        onRequest: requireRole(...REVIEWERS),
        schema: {
          tags: ['conflicts'],
          operationId: 'fieldkitListConflicts',
          summary: 'Records held for review: open ones first, oldest first (nothing personal)',
          querystring: z.strictObject({
            status: z.enum(['open', 'resolved', 'all']).default('open'),
            kitId: z.uuid().optional(),
            visitId: z.uuid().optional(),
            caseId: z.uuid().optional(),
            limit: z.coerce.number().int().min(1).max(500).default(100),
          }),
          response: {
            200: z.object({ items: z.array(conflictView) }).describe('Held records, open first, oldest first'),
            ...problemResponses(400, 403),
          },
        },
      },
      async (request) => {
        const { tenantId } = principalOf(request);
        const { status, kitId, visitId, caseId, limit } = request.query;
        const rows = await deps.sql.query<ConflictRow>(
          `select * from fieldkit_conflicts
            where tenant_id = $1 and ($2::text = 'all' or status = $2) and ($3::text is null or kit_id = $3)
              and ($4::text is null or visit_id = $4) and ($5::text is null or case_id = $5)
            order by status = 'open' desc, recorded_at, conflict_id limit $6`,
          [tenantId, status, kitId ?? null, visitId ?? null, caseId ?? null, limit],
        );
        const visits = await visitsOf(
          tenantId,
          rows.map((row) => row.visit_id),
        );
        return { items: rows.map((row) => viewOf(row, visits.get(row.visit_id))) };
      },
    );

    app.get(
      '/conflicts/:conflictId',
      {
        onRequest: requireRole(...REVIEWERS),
        schema: {
          tags: ['conflicts'],
          operationId: 'fieldkitGetConflict',
          summary: 'One held record, beside the visit as the office has it now',
          params: z.object({ conflictId: z.uuid() }),
          response: {
            200: conflictView.describe('The held record and the visit as the office has it'),
            ...problemResponses(403, 404),
          },
        },
      },
      async (request) => {
        const { tenantId } = principalOf(request);
        const row = await find(tenantId, request.params.conflictId);
        return viewOf(row, (await visitsOf(tenantId, [row.visit_id])).get(row.visit_id));
      },
    );

    app.post(
      '/conflicts/:conflictId/resolve',
      {
        onRequest: requireRole(...REVIEWERS),
        schema: {
          tags: ['conflicts'],
          operationId: 'fieldkitResolveConflict',
          summary: "Resolves a held record: accept the kit's version, keep the office's, or merge the two",
          params: z.object({ conflictId: z.uuid() }),
          body: resolveConflictBody,
          response: {
            200: conflictView.describe('The conflict as resolved'),
            ...problemResponseFor(409, 'conflict-already-resolved: decided before (the answer names how)'),
            ...problemResponses(400, 403, 404),
          },
        },
      },
      async (request) => {
        const principal = principalOf(request);
        const row = await find(principal.tenantId, request.params.conflictId);
        const record = syncRecord.parse(row.record);
        const submission = {
          submissionId: record.submissionId,
          deviceId: record.deviceId,
          baseVersion: record.baseVersion,
          capturedAt: record.capturedAt,
          sequence: record.sequence,
          contentHash: contentHashOf(record),
        };
        const { resolution, reason, merge } = request.body;
        const { idempotencyKey } = commandKeyOf(request);
        const visits = await visitsOf(principal.tenantId, [row.visit_id]);
        const visit = visits.get(row.visit_id)?.state;
        // The cases it is about: its own, or (a record of the visit's) everyone on the visit it was made on.
        const caseIds = row.case_id
          ? [row.case_id]
          : visit
            ? participantsAt(visit, record.baseVersion).map((p) => p.caseId)
            : [];
        const now = deps.now().toISOString();
        await handleCommand(
          {
            store: deps.sealedStore,
            decider: fieldVisitDecider,
            decode: fieldVisitCodec.decode,
            stream: toFieldVisitStreamName(row.visit_id),
            retries: 5,
          },
          {
            type: 'ResolveConflict',
            conflictId: row.conflict_id,
            resolution,
            reason,
            ...(merge ? { merge } : {}),
            by: { id: principal.subject, role: principal.roles[0] ?? 'unknown' },
            held: { record, submission },
            now,
          },
          {
            tenantId: principal.tenantId,
            actor: { id: principal.subject, role: principal.roles[0] ?? 'unknown' },
            ...(caseIds.length === 1 ? { caseId: caseIds[0] } : { caseIds }),
            correlationId: String(request.id),
            ...(idempotencyKey ? { idempotencyKey } : {}),
          },
        );
        // Answered from the event just written (the list catches up on its own).
        return viewOf(
          {
            ...row,
            status: 'resolved',
            resolution,
            reason,
            resolved_by: { id: principal.subject, role: principal.roles[0] ?? 'unknown' },
            resolved_at: now,
          },
          visits.get(row.visit_id),
        );
      },
    );
  };
