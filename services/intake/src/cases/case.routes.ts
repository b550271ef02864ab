/**
 * The intake case over HTTP: thin routes — parse, build the command, handle, map. Optimistic concurrency is visible:
 * reads and writes answer `ETag: W/"<revision>"`, changes require `If-Match`, a stale one is a 412.
 */
import { freeText, singleLineText } from '@buergerkoffer/shared/contracts';
import {
  type EventStore,
  handleCommand,
  type LoadedStream,
  loadStream,
  type Sql,
  uuidv7,
} from '@buergerkoffer/shared/event-sourcing';
import {
  commandKeyOf,
  etag,
  ifMatchHeader,
  ifMatchRevision,
  locationOf,
  notFound,
  type Principal,
  personal,
  personalText,
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
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { CaseCommand } from './case.commands.ts';
import { type CaseState, caseDecider, caseTransitions, toCaseStreamName } from './case.decider.ts';
import { address, channel, contactPerson, evidenceKind, mobility, serviceId } from './case.events.ts';
import { applicantInput, contactPersonInput, mobilityInput, uniqueServices } from './case.schemas.ts';
import { listCases, stillComparable } from './case-list.projection.ts';
import { decodeCaseEvent as decode, openCase } from './open-case.ts';

export interface CaseRoutesDeps {
  /** The event store with personal data sealed on the way in and opened on the way out. */
  readonly store: EventStore;
  /** The service's own database (the case list projection). */
  readonly sql: Sql;
  /** The HMAC key of the duplicate lookup. */
  readonly duplicateSecret: Buffer;
  readonly now: () => Date;
}

const WRITERS: readonly Role[] = ['intake-agent', 'admin'];
const READERS: readonly Role[] = ['intake-agent', 'eligibility-officer', 'scheduler', 'admin'];

/** `now` is the service's clock (birth dates after its day are refused). */
const openCaseBody = (now: () => Date) =>
  z.strictObject({
    applicant: applicantInput(now),
    requestedServices: uniqueServices,
    mobility: mobilityInput,
    channel,
    contactPerson: contactPersonInput.optional(),
  });

const caseParams = z.object({ caseId: z.uuid() });
const caseCreated = z
  .object({ caseId: z.string(), reference: z.string(), status: z.literal('open') })
  .describe('The case opened (for a repeated Idempotency-Key: the one opened the first time)');
const caseView = z
  .object({
    caseId: z.string(),
    reference: z.string(),
    status: z.enum(['open', 'withdrawn']),
    applicant: z.object({
      subjectId: z.string(),
      givenNames: personalText,
      familyName: personalText,
      birthDate: personalText,
      address: personal(address),
      phone: personalText.optional(),
      email: personalText.optional(),
    }),
    requestedServices: z.array(z.string()),
    mobility: personal(mobility),
    channel: z.string(),
    contactPerson: personal(contactPerson).nullable(),
    evidenceIds: z.array(z.string()),
    possibleDuplicateOf: z.array(z.string()),
    openedAt: z.string(),
    withdrawnReason: personalText.optional(),
    // case.decider.ts, `caseTransitions`.
    allowedActions: z.array(z.string()).describe('The commands the case accepts now: a UI offers only these'),
  })
  .describe("The case, its personal data as far as the caller's role and purpose may see it");
const caseList = z
  .object({
    items: z.array(
      z.object({
        caseId: z.string(),
        reference: z.string(),
        status: z.string(),
        requestedServices: z.array(z.string()),
        openedAt: z.string(),
      }),
    ),
    page: z.number().int(),
    pageSize: z.number().int(),
    total: z.number().int(),
  })
  .describe("One page of the tenant's cases, oldest first");

/** The case of the caller's tenant, or 404 — another tenant's case answers as if it did not exist. One read. */
async function loadCase(store: EventStore, caseId: string, principal: Principal) {
  const loaded = await loadStream(store, caseDecider, decode, toCaseStreamName(caseId));
  if (loaded.tenantId !== principal.tenantId) throw notFound(`case ${caseId} not found`);
  return loaded;
}

/** The view's personal paths and their kinds (shared/privacy/disclosure-policy.ts): withheld unless disclosed. */
const PERSONAL_VIEW_PATHS = {
  'applicant.givenNames': 'identity',
  'applicant.familyName': 'identity',
  'applicant.birthDate': 'birth-date',
  'applicant.address': 'address',
  'applicant.phone': 'contact',
  'applicant.email': 'contact',
  mobility: 'health',
  contactPerson: 'contact',
  withdrawnReason: 'case-notes',
} as const;

const view = (state: CaseState) => {
  if (state.status === 'none') throw notFound();
  return {
    caseId: state.caseId,
    reference: state.opened.reference,
    status: state.status,
    applicant: state.opened.applicant,
    requestedServices: [...state.requestedServices],
    mobility: state.opened.mobility,
    channel: state.opened.channel,
    contactPerson: state.contactPerson,
    evidenceIds: [...state.evidenceIds],
    possibleDuplicateOf: state.opened.possibleDuplicateOf,
    openedAt: state.opened.openedAt,
    ...(state.withdrawnReason === undefined ? {} : { withdrawnReason: state.withdrawnReason }),
    allowedActions: caseTransitions.allowed(state),
  };
};

export const caseRoutes =
  (deps: CaseRoutesDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const reads = accessLog(deps.store, deps.now);
    const context = (request: FastifyRequest, caseId: string, extra: { expectedRevision?: number } = {}) => {
      const principal = principalOf(request);
      return {
        tenantId: principal.tenantId,
        actor: { id: principal.subject, role: principal.roles[0] ?? 'unknown' },
        caseId,
        correlationId: String(request.id),
        ...commandKeyOf(request),
        ...extra,
      };
    };
    const run = async (
      request: FastifyRequest,
      caseId: string,
      command: CaseCommand,
      loaded: LoadedStream<CaseState>,
      expected?: number,
    ) =>
      handleCommand(
        { store: deps.store, decider: caseDecider, decode, stream: toCaseStreamName(caseId), loaded },
        command,
        context(request, caseId, expected === undefined ? {} : { expectedRevision: expected }),
      );

    app.post(
      '/cases',
      {
        onRequest: requireRole(...WRITERS),
        schema: {
          tags: ['cases'],
          operationId: 'intakeOpenCase',
          summary: 'Opens a case for an applicant (a possible duplicate is flagged, not refused)',
          body: openCaseBody(deps.now),
          response: { 201: withHeaders(caseCreated, 'Location', 'ETag'), ...problemResponses(403) },
        },
      },
      async (request, reply) => {
        const key = request.headers['idempotency-key'];
        const opened = await openCase(deps, principalOf(request), request.body, {
          correlationId: String(request.id),
          ...(typeof key === 'string' ? { idempotencyKey: key } : {}),
        });
        return reply
          .code(201)
          .header('location', locationOf(request, opened.caseId))
          .header('etag', etag(opened.revision))
          .send({ caseId: opened.caseId, reference: opened.reference, status: 'open' as const });
      },
    );

    app.get(
      '/cases',
      {
        onRequest: requireRole(...READERS),
        schema: {
          tags: ['cases'],
          operationId: 'intakeListCases',
          summary: "Lists the tenant's cases, a page at a time",
          querystring: z.strictObject({
            status: z.enum(['open', 'withdrawn']).optional(),
            page: z.coerce.number().int().min(1).default(1),
            pageSize: z.coerce.number().int().min(1).max(200).default(50),
          }),
          response: { 200: caseList, ...problemResponses(403) },
        },
      },
      async (request) => listCases(deps.sql, principalOf(request).tenantId, request.query),
    );

    app.get(
      '/cases/:caseId',
      {
        onRequest: requireRole(...READERS),
        schema: {
          tags: ['cases'],
          operationId: 'intakeGetCase',
          summary: 'Reads a case (the read of its personal data is recorded in its access log first)',
          params: caseParams,
          querystring: z.strictObject(purposeQuery),
          response: { 200: withHeaders(caseView, 'ETag'), ...problemResponses(403, 404) },
        },
      },
      async (request, reply) => {
        const { caseId } = request.params;
        const { state, revision } = await loadCase(deps.store, caseId, principalOf(request));
        // What the caller's role may see of the applicant, for its purpose — recorded before it is served.
        const { disclosure } = await admitPersonalRead(reads, request, reply, {
          caseId,
          resource: 'case',
          query: request.query,
        });
        const shown = view(state);
        // Links to cases whose applicants were erased since are not shown (case-list.projection.ts).
        const comparable = await stillComparable(deps.sql, principalOf(request).tenantId, shown.possibleDuplicateOf);
        return reply
          .header('etag', etag(revision))
          .send(withhold({ ...shown, possibleDuplicateOf: comparable }, disclosure, PERSONAL_VIEW_PATHS));
      },
    );

    /** Loads the caller's case (404 across tenants), then applies the change at the If-Match revision: one read. */
    const change = async (request: FastifyRequest, reply: FastifyReply, caseId: string, command: CaseCommand) => {
      const loaded = await loadCase(deps.store, caseId, principalOf(request));
      const expected = ifMatchRevision(request);
      const result = await run(request, caseId, command, loaded, expected);
      // The writer sees what their role's case work may (a writer is not a reader of everything the case holds),
      // and that answer is a read like any other: recorded, not cached (what the idempotency store keeps of it is
      // sealed, shared/http/idempotency.ts).
      const principal = principalOf(request);
      const disclosure = caseWorkDisclosure(principal);
      if (disclosure.kinds.size > 0) await recordRead(reads, request, caseId, 'case', disclosure);
      reply.header('cache-control', 'no-store');
      return { etag: etag(result.revision), body: withhold(view(result.state), disclosure, PERSONAL_VIEW_PATHS) };
    };
    const changeSchema = <Body extends z.ZodType>(operationId: string, summary: string, body: Body) => ({
      onRequest: requireRole(...WRITERS),
      schema: {
        tags: ['cases'],
        operationId,
        summary,
        params: caseParams,
        headers: ifMatchHeader,
        body,
        response: { 200: withHeaders(caseView, 'ETag'), ...problemResponses(403, 404, 409, 412, 428) },
      },
    });

    app.post(
      '/cases/:caseId/services',
      changeSchema(
        'intakeChangeServices',
        'Adds and removes requested services (at least one remains)',
        z.strictObject({ add: z.array(serviceId).default([]), remove: z.array(serviceId).default([]) }),
      ),
      async (request, reply) => {
        const { caseId } = request.params;
        const now = deps.now().toISOString();
        const { add, remove } = request.body;
        const done = await change(request, reply, caseId, { type: 'ChangeServices', caseId, add, remove, now });
        return reply.header('etag', done.etag).send(done.body);
      },
    );
    app.post(
      '/cases/:caseId/evidence',
      changeSchema(
        'intakeAttachEvidence',
        'Attaches a piece of evidence by reference and checksum (never the document itself)',
        z.strictObject({
          kind: evidenceKind,
          documentReference: singleLineText(500),
          checksum: z.string().regex(/^sha256:[0-9a-f]{64}$/, 'sha256:<64 hex digits>'),
        }),
      ),
      async (request, reply) => {
        const { caseId } = request.params;
        const now = deps.now().toISOString();
        const command: CaseCommand = { type: 'AttachEvidence', caseId, evidenceId: uuidv7(), ...request.body, now };
        const done = await change(request, reply, caseId, command);
        return reply.header('etag', done.etag).send(done.body);
      },
    );
    app.put(
      '/cases/:caseId/contact-person',
      changeSchema(
        'intakeUpdateContactPerson',
        "Sets or removes (null) the applicant's contact person",
        z.strictObject({ contactPerson: contactPersonInput.nullable() }),
      ),
      async (request, reply) => {
        const { caseId } = request.params;
        const now = deps.now().toISOString();
        const command: CaseCommand = {
          type: 'UpdateContactPerson',
          caseId,
          contactPerson: request.body.contactPerson,
          now,
        };
        const done = await change(request, reply, caseId, command);
        return reply.header('etag', done.etag).send(done.body);
      },
    );
    app.post(
      '/cases/:caseId/withdrawal',
      changeSchema('intakeWithdrawCase', 'Withdraws the case', z.strictObject({ reason: freeText(1_000) })),
      async (request, reply) => {
        const { caseId } = request.params;
        const now = deps.now().toISOString();
        const done = await change(request, reply, caseId, {
          type: 'WithdrawCase',
          caseId,
          reason: request.body.reason,
          now,
        });
        return reply.header('etag', done.etag).send(done.body);
      },
    );
  };
