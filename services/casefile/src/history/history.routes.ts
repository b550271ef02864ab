/**
 * The auditors' and staff's view of a case: its history (paginated JSON, or the printable export), its state at any
 * point (time travel), and the integrity check. Every read of case data is recorded in the case's access log first.
 */
import { notFound, principalOf, requireRole, strictDate, strictInstant } from '@buergerkoffer/shared/http';
import { type AccessLog, disclose, PersonalDataProtector } from '@buergerkoffer/shared/privacy';
import type { FastifyReply } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { CasefileDeps } from '../deps.ts';
import { admitCaseRead, fieldError, HISTORY_READERS, purposeQuery, readingRole } from './case-access.ts';
import { type AsOf, caseStateAt } from './case-state.ts';
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
          summary:
            'Every event any service stored about the case, in global order (JSON pages, or ?format=html to file)',
          params,
          querystring: z.strictObject({
            ...purposeQuery,
            format: z.enum(['json', 'html']).default('json'),
            limit: z.coerce.number().int().min(1).max(1_000).default(100),
            after: z.string().max(64).optional(),
          }),
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
          summary: 'The case as it stood at a time or global position, folded from its history',
          params,
          querystring: z.strictObject({ ...purposeQuery, at: asOfParam.optional() }),
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
          summary: 'Recomputes the hash chain of every stream of the case; names the first broken link',
          params,
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
