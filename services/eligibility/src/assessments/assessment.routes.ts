/** The officers' side: the work queue, one assessment, and the necessity decision (If-Match). */
import { freeText } from '@buergerkoffer/shared/contracts';
import { handleCommand, loadStream } from '@buergerkoffer/shared/event-sourcing';
import {
  commandKeyOf,
  etag,
  ifMatchRevision,
  notFound,
  principalOf,
  type Role,
  requireRole,
} from '@buergerkoffer/shared/http';
import { accessLog, admitPersonalRead, purposeQuery, withhold } from '@buergerkoffer/shared/privacy';
import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { EligibilityDeps } from '../deps.ts';
import {
  type AssessmentState,
  assessmentDecider,
  assessmentTransitions,
  toAssessmentStreamName,
} from './assessment.decider.ts';
import { assessmentQueue } from './assessment-queue.projection.ts';
import { decodeAssessmentEvent } from './integration/on-case-event.consumer.ts';

const READERS: readonly Role[] = ['eligibility-officer', 'scheduler', 'auditor', 'admin', 'intake-agent'];
const params = z.object({ caseId: z.uuid() });

/** The view's personal paths and their kinds (shared/privacy/disclosure-policy.ts): withheld unless disclosed. */
const PERSONAL_VIEW_PATHS = {
  'precheck.outcome': 'health',
  'precheck.rules': 'health',
  'decision.reason': 'case-notes',
  'decision.override': 'case-notes',
} as const;

const view = (state: AssessmentState) => {
  if (state.status === 'none') throw notFound();
  return {
    caseId: state.caseId,
    status: state.status,
    precheck: state.precheck,
    decision: state.decision,
    /** The commands the assessment accepts now (`assessmentTransitions`): a UI offers only these. */
    allowedActions: assessmentTransitions.allowed(state),
  };
};

export const assessmentRoutes =
  (deps: EligibilityDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const reads = accessLog(deps.store, deps.now);
    /** The caller's tenant's assessment of the case, or 404 (another tenant's answers as absent). One read. */
    const load = async (request: FastifyRequest, caseId: string) => {
      const loaded = await loadStream(
        deps.store,
        assessmentDecider,
        decodeAssessmentEvent,
        toAssessmentStreamName(caseId),
      );
      if (loaded.tenantId !== principalOf(request).tenantId) throw notFound(`no assessment for case ${caseId}`);
      return loaded;
    };

    app.get(
      '/assessments',
      {
        onRequest: requireRole(...READERS),
        schema: {
          tags: ['assessments'],
          querystring: z.strictObject({
            status: z
              .enum(['awaiting-decision', 'evidence-requested', 'approved', 'rejected', 'closed'])
              .default('awaiting-decision'),
            page: z.coerce.number().int().min(1).default(1),
            pageSize: z.coerce.number().int().min(1).max(200).default(50),
          }),
        },
      },
      async (request) => assessmentQueue(deps.sql, principalOf(request).tenantId, request.query),
    );

    app.get(
      '/assessments/:caseId',
      {
        onRequest: requireRole(...READERS),
        schema: { tags: ['assessments'], params, querystring: z.strictObject(purposeQuery) },
      },
      async (request, reply) => {
        const { caseId } = request.params;
        const { state, revision } = await load(request, caseId);
        // The pre-check's outcome and rules and the officers' reasons: for those whose work needs them, recorded.
        const { disclosure } = await admitPersonalRead(reads, request, reply, {
          caseId,
          resource: 'assessment',
          query: request.query,
        });
        return reply.header('etag', etag(revision)).send(withhold(view(state), disclosure, PERSONAL_VIEW_PATHS));
      },
    );

    app.post(
      '/assessments/:caseId/decision',
      {
        onRequest: requireRole('eligibility-officer'),
        schema: {
          tags: ['assessments'],
          params,
          body: z.strictObject({
            outcome: z.enum(['approve', 'reject', 'request-evidence']),
            reason: freeText(2_000).optional(),
            override: freeText(2_000).optional(),
          }),
        },
      },
      async (request, reply) => {
        const { caseId } = request.params;
        const loaded = await load(request, caseId);
        const principal = principalOf(request);
        const result = await handleCommand(
          {
            store: deps.store,
            decider: assessmentDecider,
            decode: decodeAssessmentEvent,
            stream: toAssessmentStreamName(caseId),
            loaded,
          },
          {
            type: 'DecideNecessity',
            caseId,
            ...request.body,
            decidedBy: principal.subject,
            now: deps.now().toISOString(),
          },
          {
            tenantId: principal.tenantId,
            actor: { id: principal.subject, role: 'eligibility-officer' },
            caseId,
            correlationId: String(request.id),
            expectedRevision: ifMatchRevision(request),
            // A retry whose answer was lost finds its decision (before If-Match): the event id comes from the key.
            ...commandKeyOf(request),
          },
        );
        return reply.header('etag', etag(result.revision)).send(view(result.state));
      },
    );
  };
