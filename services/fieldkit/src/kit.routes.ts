/**
 * The kit's routes: the day's manifest (ETag, 304 on If-None-Match) and the sync of its on-site records. A kit-device
 * token is bound to one kit and sees only that kit (another kit's reads as absent); office roles read any kit's
 * manifest of their tenant. Every event a sync writes names the kit's session (its token subject) as the actor and
 * the member of staff who recorded it.
 */
import { MAX_SYNC_ITEMS, manifestResponse, syncRequest, syncResponse } from '@buergerkoffer/shared/contracts';
import { VersionConflictError } from '@buergerkoffer/shared/event-sourcing';
import {
  HttpProblem,
  notFound,
  type Principal,
  principalOf,
  problemResponseFor,
  problemResponses,
  type Role,
  requireRole,
  withHeaders,
} from '@buergerkoffer/shared/http';
import { accessLog, disclosureOf, recordRead, sees } from '@buergerkoffer/shared/privacy';
import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { FieldkitDeps } from './deps.ts';
import { planManifest, renderManifest } from './manifest/manifest.ts';
import { syncBatch } from './sync/sync.ts';
import { localDayOf } from './visits/field-visit.projections.ts';

const MANIFEST_READERS: readonly Role[] = ['kit-device', 'field-officer', 'scheduler'];
const params = z.object({ kitId: z.uuid() });

/** 404 for a kit-device token of another kit: a kit sees only itself. */
export function ownKit(principal: Principal, kitId: string): void {
  if (principal.roles.includes('kit-device') && principal.kitId !== kitId) throw notFound(`no kit ${kitId}`);
}

const etagOf = (version: string) => `"${version}"`;
/** Whether If-None-Match names this version (a list, weak or strong, or `*`). */
const matches = (request: FastifyRequest, version: string): boolean => {
  const header = request.headers['if-none-match'];
  if (typeof header !== 'string') return false;
  return header
    .split(',')
    .map((tag) => tag.trim().replace(/^W\//, ''))
    .some((tag) => tag === '*' || tag === etagOf(version));
};

export const kitRoutes =
  (deps: FieldkitDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const reads = accessLog(deps.store, deps.now);

    app.get(
      '/kits/:kitId/manifest',
      {
        onRequest: requireRole(...MANIFEST_READERS),
        schema: {
          tags: ['kits'],
          operationId: 'fieldkitManifest',
          summary: "The kit's visits of a day, with what the team needs on site (ETag; 304 on If-None-Match)",
          params,
          querystring: z.strictObject({
            date: z.iso.date().optional().describe('The local day (Europe/Berlin); today when left out'),
          }),
          headers: z.looseObject({
            'if-none-match': z.string().optional().describe('The manifest version held: 304 when it is current'),
          }),
          response: {
            200: withHeaders(manifestResponse.describe("The kit's day: its visits in start order"), 'ETag'),
            304: z.null().describe('The manifest held is current'),
            ...problemResponses(400, 403, 404),
          },
        },
      },
      async (request, reply) => {
        const principal = principalOf(request);
        const { kitId } = request.params;
        ownKit(principal, kitId);
        const day = request.query.date ?? localDayOf(deps.now().toISOString());
        const plan = await planManifest(deps, principal.tenantId, kitId, day);
        reply.header('etag', etagOf(plan.version)).header('cache-control', 'no-store');
        if (matches(request, plan.version)) return reply.code(304).send(null);
        const disclosure = disclosureOf(principal, undefined);
        const manifest = await renderManifest(deps, plan, kitId, day, disclosure);
        if (sees(disclosure, 'identity') || sees(disclosure, 'address')) {
          for (const caseId of plan.participants.keys())
            await recordRead(reads, request, caseId, 'manifest', disclosure);
        }
        return manifest;
      },
    );

    app.post(
      '/kits/:kitId/sync',
      {
        onRequest: requireRole('kit-device'),
        bodyLimit: 4 * 1024 * 1024,
        schema: {
          tags: ['kits'],
          operationId: 'fieldkitSync',
          summary:
            "Takes in the kit's records: per item accepted, duplicate (the first answer), conflict (id reused), " +
            'recorded-as-conflict (stale base: kept for review) or rejected (naming the fields)',
          description: `At most ${MAX_SYNC_ITEMS} items. One bad item never loses the good ones: each is answered on its own.`,
          params,
          body: syncRequest,
          response: {
            200: syncResponse.describe('Each item answered on its own, in the order sent'),
            ...problemResponseFor(409, 'too-many-writers: the visit changed under every retry; send again'),
            ...problemResponses(400, 403, 404),
          },
        },
      },
      async (request) => {
        const principal = principalOf(request);
        const { kitId } = request.params;
        ownKit(principal, kitId);
        try {
          return await syncBatch(
            deps.sealedStore,
            {
              tenantId: principal.tenantId,
              kitId,
              actor: { id: principal.subject, role: 'kit-device' },
              correlationId: String(request.id),
              now: deps.now,
            },
            request.body.items,
          );
        } catch (error) {
          if (error instanceof VersionConflictError)
            throw new HttpProblem(409, 'too-many-writers', 'the visit changed under every retry; send the batch again');
          throw error;
        }
      },
    );
  };
