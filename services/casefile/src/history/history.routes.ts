/**
 * The auditors' and staff's view of a case: its history (paginated JSON, or the printable export), its state at any
 * point (time travel), and the integrity check. Every read of case data is recorded in the case's access log first.
 */
import {
  htmlDocument,
  mediaTypes,
  notFound,
  principalOf,
  problemResponses,
  requireRole,
  strictDate,
  strictInstant,
} from '@buergerkoffer/shared/http';
import { type AccessLog, disclose, PersonalDataProtector } from '@buergerkoffer/shared/privacy';
import type { FastifyReply } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { CasefileDeps } from '../deps.ts';
import { admitCaseRead, fieldError, HISTORY_READERS, purposeQuery, readingRole } from './case-access.ts';
import { type AsOf, caseStateAt, FIELD_CONFLICT_STATUSES, VISIT_STATUSES } from './case-state.ts';
import { caseExists, decodeCursor, readHistoryPage, readWholeCase, toEntry } from './history.ts';
import { renderHistoryHtml } from './history-export.ts';
import { verifyCase } from './verify.ts';

const params = z.object({ caseId: z.uuid() });
/** Positions are whole numbers; times ISO 8601 with a zone (or a date, meaning its start in UTC). */
const asOfParam = z
  .string()
  .trim()
  .refine(
    (value) =>
      /^\d{1,16}$/.test(value) || strictInstant.safeParse(value).success || strictDate.safeParse(value).success,
    'expected an ISO 8601 time with a zone (2026-11-25T10:00:00Z) or a global position (a whole number)',
  );

/** One event of a case's history (history.ts, `toEntry`): in the history pages and the subject export. */
export const historyEntry = z.object({
  position: z.number().int().describe('The global position: the order of the history'),
  recordedAt: z.string(),
  service: z.string(),
  stream: z.string(),
  revision: z.number().int(),
  type: z.string(),
  schemaVersion: z.number().int(),
  actor: z.object({ id: z.string(), role: z.string() }).nullable(),
  correlationId: z.string().nullable(),
  causationId: z.string().nullable(),
  data: z
    .unknown()
    .describe(
      'The event as stored, its personal fields opened or "[withheld]" as the caller may see them, or "[erased]"',
    ),
});
const historyPage = z
  .object({
    caseId: z.string(),
    events: z.array(historyEntry),
    next: z.string().nullable().describe('The cursor of the next page (`after`); null on the last'),
  })
  .describe('A page of the history in global order');
const visitSlot = {
  kitId: z.string(),
  staffIds: z.array(z.string()).readonly(),
  date: z.string().describe("The visit's local date in the tenant's zone"),
  start: z.string(),
  end: z.string(),
};
/** casefile's CaseVisit (case-state.ts): a visit the case was booked on. */
const caseVisit = z.object({
  visitId: z.string(),
  status: z.enum(VISIT_STATUSES),
  ...visitSlot,
  services: z.array(z.string()).readonly().describe("This case's services on the visit"),
  place: z
    .object({
      kind: z.string(),
      address: z
        .string()
        .nullable()
        .describe('The address, or "[withheld]" / "[erased]" where the caller may not see it'),
    })
    .nullable(),
  requestedBy: z.string().nullable(),
  requestedAt: z.string(),
  pendingReschedule: z
    .object(visitSlot)
    .nullable()
    .describe('A new slot being booked; the visit keeps its own until then'),
  needsRescheduling: z.string().nullable().describe('Why the visit must be moved, until it is rescheduled'),
  confirmedBy: z.string().nullable(),
  confirmedAt: z.string().nullable(),
  cancelReason: z.string().nullable(),
  removalReason: z.string().nullable(),
  changedAt: z.string(),
  position: z.number().int().describe('The last event about the visit folded in'),
});
/** casefile's CaseFieldwork (case-state.ts): what the kit recorded on a visit of the case. */
const caseFieldwork = z.object({
  visitId: z.string(),
  kitId: z.string(),
  startedAt: z.string().nullable().describe("When the kit recorded the visit started (the kit's clock)"),
  endedAt: z.string().nullable().describe("When the kit recorded the visit ended (the kit's clock)"),
  deviceChecks: z
    .array(
      z.object({
        phase: z.string().describe('start (before the visit) or end (after it)'),
        faulty: z.array(z.string()).readonly().describe('The devices found faulty'),
        capturedAt: z.string(),
        position: z.number().int(),
      }),
    )
    .readonly(),
  services: z
    .array(
      z.object({
        service: z.string(),
        outcome: z.enum(['completed', 'not-completed']),
        feeCents: z.number().int().nullable(),
        paymentMethod: z.string().nullable(),
        hasProducerReference: z.boolean(),
        producerReference: z.string().nullable().describe("The producing authority's reference, where it has one"),
        reason: z.string().nullable().describe('Why it was not completed (a reason code)'),
        recordedBy: z.string().nullable(),
        capturedAt: z.string(),
        conflictId: z.string().nullable().describe('The conflict it took effect with or through'),
        position: z.number().int(),
      }),
    )
    .readonly()
    .describe("This case's services, each with its latest outcome"),
  conflicts: z
    .array(
      z.object({
        conflictId: z.string(),
        severity: z.string().describe('soft (the record took effect) or hard (held for review)'),
        fields: z.array(z.string()).readonly(),
        status: z.enum(FIELD_CONFLICT_STATUSES),
        recordedAt: z.string(),
        resolution: z.string().nullable(),
        resolvedBy: z.string().nullable(),
        resolvedAt: z.string().nullable(),
        position: z.number().int(),
      }),
    )
    .readonly(),
  changedAt: z.string(),
  position: z.number().int().describe("The last event about the visit's fieldwork folded in"),
});
/** casefile's CaseState (case-state.ts): what the fold of the history knows, its personal data as disclosed. */
const caseState = z
  .object({
    caseId: z.string(),
    status: z.enum([
      'received',
      'awaiting-decision',
      'evidence-requested',
      'approved',
      'rejected',
      'closed',
      'withdrawn',
    ]),
    reference: z.string().nullable(),
    channel: z.string().nullable(),
    openedAt: z.string().nullable(),
    requestedServices: z.array(z.string()).readonly(),
    evidence: z.array(z.object({ evidenceId: z.string(), kind: z.string(), attachedAt: z.string() })).readonly(),
    intake: z.object({ status: z.enum(['none', 'open', 'withdrawn']), withdrawnAt: z.string().nullable() }),
    eligibility: z.object({
      status: z.enum(['none', 'awaiting-decision', 'evidence-requested', 'approved', 'rejected', 'closed']),
      precheckOutcome: z.string().nullable(),
      ruleSetVersion: z.number().int().nullable(),
      rules: z
        .union([
          z
            .array(z.object({ rule: z.string(), passed: z.union([z.boolean(), z.string()]), detail: z.string() }))
            .readonly(),
          z.string(),
        ])
        .describe('Each rule\'s result, or "[withheld]" / "[erased]" where the caller may not see them'),
      checkedAt: z.string().nullable(),
    }),
    decisions: z
      .array(
        z.object({
          outcome: z.enum(['approved', 'rejected', 'evidence-requested', 'reopened', 'closed']),
          by: z.string().nullable(),
          at: z.string(),
          reason: z.string().nullable(),
          override: z.string().nullable(),
          ruleSetVersion: z.number().int().nullable(),
          position: z.number().int(),
        }),
      )
      .readonly(),
    visits: z
      .array(caseVisit)
      .readonly()
      .describe('Every visit the case was booked on, in the order their bookings started'),
    fieldwork: z
      .array(caseFieldwork)
      .readonly()
      .describe("What the kit recorded on the case's visits (fieldkit), in the order first recorded"),
    position: z.number().int().describe('The last event folded in'),
    recordedAt: z.string().nullable(),
    events: z.number().int(),
    accesses: z.number().int(),
    uninterpreted: z
      .record(z.string(), z.number().int())
      .describe('Events of types the fold does not interpret, by service (they are in the history all the same)'),
    asOf: z.string(),
  })
  .describe('The case as it stood');
const verification = z
  .discriminatedUnion('ok', [
    z.object({
      caseId: z.string(),
      checkedAt: z.string(),
      ok: z.literal(true),
      streams: z.number().int(),
      events: z.number().int(),
    }),
    z.object({
      caseId: z.string(),
      checkedAt: z.string(),
      ok: z.literal(false),
      streams: z.number().int(),
      events: z.number().int(),
      brokenAt: z.object({ stream: z.string(), revision: z.number().int(), position: z.number().int() }),
      reason: z.enum(['content-altered', 'chain-broken', 'revision-gap', 'missing-from-case-history']),
    }),
  ])
  .describe('Whether every chain verifies; if not, the first broken link and why');

export const historyRoutes =
  (deps: CasefileDeps & { readonly accessLog: AccessLog }): FastifyPluginAsyncZod =>
  async (app) => {
    // Opening needs no policy: sealed values name their subject; disclosure decides what is opened.
    const protector = new PersonalDataProtector(deps.keyStore, {});

    const private_ = (reply: FastifyReply) => reply.header('cache-control', 'no-store');

    app.get(
      '/cases/:caseId/history',
      {
        onRequest: requireRole(...HISTORY_READERS),
        schema: {
          tags: ['history'],
          operationId: 'casefileGetCaseHistory',
          summary:
            'Every event any service stored about the case, in global order (JSON pages, or ?format=html to file)',
          params,
          querystring: z.strictObject({
            ...purposeQuery,
            format: z.enum(['json', 'html']).default('json'),
            limit: z.coerce.number().int().min(1).max(1_000).default(100),
            after: z.string().max(64).optional(),
          }),
          response: {
            200: mediaTypes(
              'A page of the history (JSON), or the whole history as a printable document (`format=html`)',
              {
                'application/json': historyPage,
                'text/html': htmlDocument,
              },
            ),
            ...problemResponses(403, 404),
          },
        },
      },
      async (request, reply) => {
        const { caseId } = request.params;
        const { format, limit, after } = request.query;
        const afterPosition = after === undefined ? 0 : decodeCursor(after);
        if (afterPosition === undefined) throw fieldError('querystring.after', 'not a cursor this service issued');
        const resource = format === 'html' ? 'export' : 'history';
        const { principal, disclosure } = await admitCaseRead(deps, request, reply, caseId, resource, request.query);
        private_(reply);
        if (format === 'json') {
          return readHistoryPage(
            deps.store,
            protector,
            { tenantId: principal.tenantId, caseId, afterPosition, limit },
            disclosure,
          );
        }
        const entries = [];
        for await (const event of readWholeCase(deps.store, principal.tenantId, caseId)) {
          entries.push(await toEntry(protector, event, disclosure));
        }
        const html = renderHistoryHtml(
          {
            caseId,
            tenantId: principal.tenantId,
            generatedAt: deps.now(),
            generatedBy: { id: principal.subject, role: readingRole(principal) },
            purpose: [disclosure.purpose, request.query.reference].filter(Boolean).join(' · '),
            verification: await verifyCase(deps.store, principal.tenantId, caseId),
          },
          entries,
        );
        return reply
          .type('text/html; charset=utf-8')
          .header('content-disposition', `inline; filename="case-${caseId}-history.html"`)
          .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'")
          .send(html);
      },
    );

    app.get(
      '/cases/:caseId/state',
      {
        onRequest: requireRole(...HISTORY_READERS),
        schema: {
          tags: ['history'],
          operationId: 'casefileGetCaseState',
          summary: 'The case as it stood at a time or global position, folded from its history',
          params,
          querystring: z.strictObject({ ...purposeQuery, at: asOfParam.optional() }),
          response: { 200: caseState, ...problemResponses(403, 404) },
        },
      },
      async (request, reply) => {
        const { caseId } = request.params;
        const { at } = request.query;
        const asOf: AsOf | undefined =
          at === undefined ? undefined : /^\d+$/.test(at) ? { position: Number(at) } : { time: new Date(at) };
        const { principal, disclosure } = await admitCaseRead(deps, request, reply, caseId, 'state', request.query);
        // Folded from the events as the caller may see them: reasons, rule results and the outcome — health data,
        // or text that may describe it — read "[withheld]" for those who may not see them, as in the history.
        async function* disclosed() {
          for await (const event of readWholeCase(deps.store, principal.tenantId, caseId)) {
            yield { ...event, data: await disclose(protector, event, disclosure) };
          }
        }
        const state = await caseStateAt(caseId, disclosed(), asOf);
        if (!state) throw notFound(`case ${caseId} has no events at or before ${at}`);
        private_(reply);
        return {
          ...state,
          asOf: asOf && 'time' in asOf ? asOf.time.toISOString() : (state.recordedAt ?? deps.now().toISOString()),
        };
      },
    );

    app.get(
      '/cases/:caseId/history/verify',
      {
        onRequest: requireRole('auditor', 'admin'),
        schema: {
          tags: ['history'],
          operationId: 'casefileVerifyCaseHistory',
          summary: 'Recomputes the hash chain of every stream of the case; names the first broken link',
          params,
          response: { 200: verification, ...problemResponses(403, 404) },
        },
      },
      async (request) => {
        const { tenantId } = principalOf(request);
        const { caseId } = request.params;
        if (!(await caseExists(deps.store, tenantId, caseId))) throw notFound(`no case ${caseId}`);
        return { caseId, checkedAt: deps.now().toISOString(), ...(await verifyCase(deps.store, tenantId, caseId)) };
      },
    );
  };
