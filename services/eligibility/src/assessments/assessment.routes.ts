/** The officers' side: the work queue, one assessment, and the necessity decision (If-Match). */
import { freeText } from '@buergerkoffer/shared/contracts';
import { handleCommand, loadStream } from '@buergerkoffer/shared/event-sourcing';
import {
  commandKeyOf,
  etag,
  ifMatchHeader,
  ifMatchRevision,
  notFound,
  personal,
  principalOf,
  problemResponses,
  type Role,
  requireRole,
  withHeaders,
} from '@buergerkoffer/shared/http';
import {
  accessLog,
  admitPersonalRead,
  caseWorkDisclosure,
  purposeQuery,
  recordRead,
  withhold,
} from '@buergerkoffer/shared/privacy';
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
import { precheckResult, ruleResult } from './assessment.events.ts';
import { assessmentQueue } from './assessment-queue.projection.ts';
import { decodeAssessmentEvent } from './integration/on-case-event.consumer.ts';

const READERS: readonly Role[] = ['eligibility-officer', 'scheduler', 'auditor', 'admin', 'intake-agent'];
const params = z.object({ caseId: z.uuid() });
const STATUSES = ['awaiting-decision', 'evidence-requested', 'approved', 'rejected', 'closed'] as const;

/** What `view` answers; the pre-check's outcome and rules and the officers' texts are personal (health data). */
const assessmentView = z
  .object({
    caseId: z.string(),
    status: z.enum(STATUSES),
    precheck: z.object({
      outcome: personal(precheckResult.shape.outcome),
      ruleSetVersion: z.number().int(),
      rules: personal(z.array(ruleResult)),
    }),
    decision: z
      .object({
        outcome: z.enum(['approved', 'rejected', 'evidence-requested']),
        reason: z.string().nullable(),
        override: z.string().nullable(),
        decidedBy: z.string(),
        decidedAt: z.string(),
      })
      .nullable(),
    // `assessmentTransitions`.
    allowedActions: z.array(z.string()).describe('The commands the assessment accepts now: a UI offers only these'),
  })
  .describe("The assessment, its personal data as far as the caller's role and purpose may see it");
const assessmentQueuePage = z
  .object({
    items: z.array(z.object({ caseId: z.string(), status: z.string(), checkedAt: z.string() })),
    total: z.number().int(),
    page: z.number().int(),
    pageSize: z.number().int(),
  })
  .describe('One page of the work queue, oldest pre-check first');

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
          operationId: 'eligibilityListAssessments',
          summary: "The officers' work queue: the tenant's assessments in a status",
          querystring: z.strictObject({
            status: z.enum(STATUSES).default('awaiting-decision'),
            page: z.coerce.number().int().min(1).default(1),
            pageSize: z.coerce.number().int().min(1).max(200).default(50),
          }),
          response: { 200: assessmentQueuePage, ...problemResponses(403) },
        },
      },
      async (request) => assessmentQueue(deps.sql, principalOf(request).tenantId, request.query),
    );

    app.get(
      '/assessments/:caseId',
      {
        onRequest: requireRole(...READERS),
        schema: {
          tags: ['assessments'],
          operationId: 'eligibilityGetAssessment',
          summary: "Reads a case's assessment (the read of its health data is recorded in the case's access log first)",
          params,
          querystring: z.strictObject(purposeQuery),
          response: { 200: withHeaders(assessmentView, 'ETag'), ...problemResponses(403, 404) },
        },
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
          operationId: 'eligibilityDecideNecessity',
          summary:
            'Decides the necessity of a visit: approve (against the pre-check only with an override), reject, or ask for evidence',
          params,
          headers: ifMatchHeader,
          response: { 200: withHeaders(assessmentView, 'ETag'), ...problemResponses(403, 404, 409, 412, 428) },
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
        // The answer shows the assessment to its writer: a read like the view's, recorded and not cached.
        const disclosure = caseWorkDisclosure(principal);
        await recordRead(reads, request, caseId, 'assessment', disclosure);
        return reply
          .header('etag', etag(result.revision))
          .header('cache-control', 'no-store')
          .send(withhold(view(result.state), disclosure, PERSONAL_VIEW_PATHS));
      },
    );
  };
