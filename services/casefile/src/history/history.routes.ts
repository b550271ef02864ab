/**
 * The auditors' and staff's view of a case: its history (paginated JSON, or the printable export), its state at any
 * point (time travel), and the integrity check. Every read of case data is recorded in the case's access log first.
 */
import { notFound, principalOf, requireRole } from '@buergerkoffer/shared/http';
import { PersonalDataProtector } from '@buergerkoffer/shared/privacy';
import type { FastifyReply } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { CasefileDeps } from '../deps.ts';
import { admitCaseRead, fieldError, HISTORY_READERS, readingRole } from './case-access.ts';
import { type AsOf, caseStateAt } from './case-state.ts';
import { maySee, WITHHELD } from './disclosure.ts';
import { caseExists, decodeCursor, readHistoryPage, readWholeCase, toEntry } from './history.ts';
import { renderHistoryHtml } from './history-export.ts';
import { verifyCase } from './verify.ts';

const params = z.object({ caseId: z.uuid() });
const purpose = z.string().trim().min(3).max(500).optional();
/** Positions are whole numbers; times ISO 8601 with a zone (or a date, meaning its start in UTC). */
const asOfParam = z
  .string()
  .trim()
  .refine(
    (value) =>
      /^\d{1,16}$/.test(value) ||
      (/^\d{4}-\d{2}-\d{2}(T.*(Z|[+-]\d{2}:?\d{2}))?$/.test(value) && !Number.isNaN(Date.parse(value))),
    'expected an ISO 8601 time with a zone (2026-11-25T10:00:00Z) or a global position (a whole number)',
  );

export const historyRoutes =
  (deps: CasefileDeps): FastifyPluginAsyncZod =>
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
            purpose,
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
        const { principal, allowed } = await admitCaseRead(
          deps,
          request,
          caseId,
          resource,
          { format, limit: format === 'html' ? undefined : limit, after },
          request.query.purpose,
        );
        private_(reply);
        if (format === 'json') {
          return readHistoryPage(
            deps.store,
            protector,
            { tenantId: principal.tenantId, caseId, afterPosition, limit },
            allowed,
          );
        }
        const entries = [];
        for await (const event of readWholeCase(deps.store, principal.tenantId, caseId)) {
          entries.push(await toEntry(protector, event, allowed));
        }
        const html = renderHistoryHtml(
          {
            caseId,
            tenantId: principal.tenantId,
            generatedAt: deps.now(),
            generatedBy: { id: principal.subject, role: readingRole(principal) },
            purpose: request.query.purpose ?? null,
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
          querystring: z.strictObject({ purpose, at: asOfParam.optional() }),
        },
      },
      async (request, reply) => {
        const { caseId } = request.params;
        const { at } = request.query;
        const asOf: AsOf | undefined =
          at === undefined ? undefined : /^\d+$/.test(at) ? { position: Number(at) } : { time: new Date(at) };
        const { principal, allowed } = await admitCaseRead(
          deps,
          request,
          caseId,
          'state',
          { at },
          request.query.purpose,
        );
        const folded = await caseStateAt(caseId, readWholeCase(deps.store, principal.tenantId, caseId), asOf);
        if (!folded) throw notFound(`case ${caseId} has no events at or before ${at}`);
        // The rule details name care level and marks: health data, for those who may see it (disclosure.ts).
        const state = maySee(allowed, 'mobility')
          ? folded
          : {
              ...folded,
              eligibility: {
                ...folded.eligibility,
                rules: folded.eligibility.rules.map((rule) => ({ ...rule, detail: WITHHELD })),
              },
            };
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
