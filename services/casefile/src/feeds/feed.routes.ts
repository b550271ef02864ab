/**
 * GET /cases/{id}/events and GET /events?types=&services=: the tenant's events as Server-Sent Events for staff
 * UIs. Resume with the `Last-Event-ID` header (or `lastEventId`, for clients that cannot set headers); without
 * one, the feed starts at the live head.
 */
import {
  eventStream,
  HttpProblem,
  lastEventIdHeader,
  mediaTypes,
  principalOf,
  problemResponses,
  requireRole,
} from '@buergerkoffer/shared/http';
import { type AccessLog, NOTHING, PersonalDataProtector, recordRead } from '@buergerkoffer/shared/privacy';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { CasefileDeps } from '../deps.ts';
import { admitCaseRead, fieldError, HISTORY_READERS, purposeQuery } from '../history/case-access.ts';
import { namesCase, toEntry } from '../history/history.ts';
import { categoriesOf, SERVICES, serviceOf } from '../history/services.ts';
import type { FeedHub } from './feed-hub.ts';

const csv = <T extends z.ZodType<string, string>>(item: T) =>
  z
    .string()
    .transform((value) =>
      value
        .split(',')
        .map((part) => part.trim())
        .filter(Boolean),
    )
    .pipe(z.array(item).min(1).max(50));

const position = z.string().regex(/^\d{1,16}$/, 'a global position (a whole number)');
/** The reply is hijacked and streamed (feed-hub.ts): declared by media type, never serialised. */
const feed = (description: string) =>
  mediaTypes(description, {
    'text/event-stream': eventStream.describe(
      'Each event: `id:` its global position, `data:` its history entry (JSON). `event: reset` when Last-Event-ID lies beyond the newest event; `event: overflow`, then the end of the stream, for a client that reads too slowly (it resumes with Last-Event-ID)',
    ),
  });

/** Where a feed starts: after Last-Event-ID (header wins), else at the live head. */
function startOf(request: FastifyRequest, query: string | undefined, head: number): number {
  const header = request.headers['last-event-id'];
  const value = (Array.isArray(header) ? header[0] : header) ?? query;
  if (value === undefined || value === '') return head;
  if (!/^\d{1,16}$/.test(value)) {
    throw fieldError('headers.last-event-id', 'a global position (a whole number)');
  }
  return Number(value);
}

/** Checked (and the feed reserved) before anything is read, recorded or streamed; released when the stream ends. */
function admitFeed(hub: FeedHub, subject: string, reply: FastifyReply): () => void {
  const release = hub.reserve(subject);
  if (!release) {
    reply.header('retry-after', '5');
    throw new HttpProblem(429, 'too-many-feeds', 'this caller has the most live feeds open it may; close one first');
  }
  return release;
}

export const feedRoutes =
  (deps: CasefileDeps & { readonly accessLog: AccessLog }, hub: FeedHub): FastifyPluginAsyncZod =>
  async (app) => {
    const protector = new PersonalDataProtector(deps.keyStore, {});

    app.get(
      '/cases/:caseId/events',
      {
        onRequest: requireRole(...HISTORY_READERS),
        schema: {
          tags: ['feeds'],
          operationId: 'casefileFollowCaseEvents',
          summary: "The case's events as Server-Sent Events (id = global position; resume with Last-Event-ID)",
          params: z.object({ caseId: z.uuid() }),
          headers: lastEventIdHeader,
          querystring: z.strictObject({
            ...purposeQuery,
            lastEventId: position.optional().describe('As Last-Event-ID, for clients that cannot set headers'),
          }),
          response: {
            200: feed("The case's events as they are stored, with the personal data the caller may see"),
            ...problemResponses(403, 404),
          },
        },
      },
      async (request, reply) => {
        const { caseId } = request.params;
        const from = startOf(request, request.query.lastEventId, hub.position);
        const release = admitFeed(hub, principalOf(request).subject, reply);
        // Like every read of a case, following it is recorded first (staff may state a purpose; auditors must).
        const { principal, disclosure } = await admitCaseRead(
          deps,
          request,
          undefined,
          caseId,
          'feed',
          request.query,
        ).catch((error: unknown) => {
          release();
          throw error;
        });
        reply.hijack();
        await hub.connect(
          reply.raw,
          {
            tenantId: principal.tenantId,
            subject: principal.subject,
            matches: (event) => namesCase(event.metadata, caseId),
            readAfter: (after, limit) =>
              deps.store.readCase(principal.tenantId, caseId, { afterPosition: after, limit }),
            render: async (event) => {
              // A feed open past midnight is the next day's read too: recorded again (the same day's is a no-op in
              // this process; a failure ends this stream and the client resumes, admitted and recorded anew).
              await recordRead(deps.accessLog, request, caseId, 'feed', disclosure, request.query.reference);
              return JSON.stringify(await toEntry(protector, event, disclosure));
            },
          },
          from,
          release,
        );
      },
    );

    app.get(
      '/events',
      {
        onRequest: requireRole(...HISTORY_READERS),
        schema: {
          tags: ['feeds'],
          operationId: 'casefileFollowTenantEvents',
          summary: "The tenant's events as Server-Sent Events, filtered by type and service",
          headers: lastEventIdHeader,
          querystring: z.strictObject({
            types: csv(z.string().regex(/^[A-Za-z][\w.-]{0,99}$/, 'an event type name'))
              .optional()
              .describe('Event types, comma-separated (e.g. CaseOpened,NecessityConfirmed)'),
            services: csv(z.enum(SERVICES))
              .optional()
              .describe(`Services, comma-separated: ${SERVICES.join(', ')}`),
            lastEventId: position.optional().describe('As Last-Event-ID, for clients that cannot set headers'),
          }),
          response: {
            200: feed('The tenant\'s events as they are stored, no personal data shown ("[withheld]")'),
            ...problemResponses(403),
          },
        },
      },
      async (request, reply) => {
        const principal = principalOf(request);
        const { types, services } = request.query;
        const from = startOf(request, request.query.lastEventId, hub.position);
        const release = admitFeed(hub, principal.subject, reply);
        // The tenant-wide feed follows every case at once, so no case's access log could record what it shows:
        // it shows no personal data to anyone (sealed fields and the clear ones the disclosure policy names — access
        // purposes, institution names — "[withheld]"). Personal data is read case by case, from a case's history or
        // feed, where each read is recorded.
        const typeSet = types ? new Set(types) : undefined;
        const serviceSet = services ? new Set<string>(services) : undefined;
        // Read back from the store, the tenant's own events only (the store filters them, not this process).
        const filter = {
          tenantIds: [principal.tenantId],
          ...(services ? { streamCategories: categoriesOf(services) } : {}),
        };
        reply.hijack();
        await hub.connect(
          reply.raw,
          {
            tenantId: principal.tenantId,
            subject: principal.subject,
            matches: (event) =>
              (!typeSet || typeSet.has(event.type)) && (!serviceSet || serviceSet.has(serviceOf(event.stream))),
            readAfter: (after, limit) => deps.store.readAll({ afterPosition: after, limit, filter }),
            render: async (event) => JSON.stringify(await toEntry(protector, event, NOTHING)),
          },
          from,
          release,
        );
      },
    );
  };
