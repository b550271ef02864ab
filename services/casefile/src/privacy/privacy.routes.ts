/**
 * The data subjects' rights as use cases: access (Art. 15, `GET /privacy/subjects/{id}/export`: everything the
 * system holds about the subject, itself recorded in each case's access log), erasure (Art. 17, `POST
 * /privacy/subjects/{id}/erasure`: refused while a legal hold applies; destroys the subject's key — every sealed
 * value in the store, the topics and the backups becomes unreadable — and every service forgets what it derived), and
 * legal holds (Art. 17(3), placed and lifted by auditors and admins).
 *
 * The erasure is recorded before the key is destroyed: a crash between the two leaves a record whose key casefile's
 * erasure follower destroys on its next run (service.ts), so no accepted erasure is lost; a retry records nothing
 * twice (the decider skips cases recorded already).
 */
import {
  ERASURE_GROUNDS,
  fileReference,
  LEGAL_HOLD_GROUNDS,
  privacySubjectStream,
} from '@buergerkoffer/shared/contracts';
import {
  atRevision,
  type EventStore,
  loadStream,
  NO_STREAM,
  uuidv7,
  VersionConflictError,
} from '@buergerkoffer/shared/event-sourcing';
import {
  notFound,
  type Principal,
  principalOf,
  problemResponseFor,
  problemResponses,
  requireRole,
} from '@buergerkoffer/shared/http';
import {
  type AccessLog,
  disclosureOf,
  type KeyStore,
  PersonalDataProtector,
  readingRole,
} from '@buergerkoffer/shared/privacy';
import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { CasefileDeps } from '../deps.ts';
import { historyEntry } from '../history/history.routes.ts';
import { readWholeCase, toEntry } from '../history/history.ts';
import { type SubjectCommand, subjectCodec, subjectDecider } from './subject.decider.ts';
import { casesOfSubject } from './subject-cases.projection.ts';

const params = z.object({ subjectId: z.uuid() });
/** `subjectView`: the subject's rights record as it stands. */
const subjectShape = {
  subjectId: z.string(),
  legalHold: z.object({ ground: z.enum(LEGAL_HOLD_GROUNDS), since: z.string() }).nullable(),
  erased: z.object({ at: z.string(), cases: z.array(z.string()).readonly() }).nullable(),
};
const subject = z
  .object(subjectShape)
  .describe('Whether a legal hold applies, and whether (when) the subject was erased');

/** The subject's state; 404 when the caller's tenant has no case about it (another tenant's subject is absent). */
async function loadSubject(deps: CasefileDeps, principal: Principal, subjectId: string) {
  const cases = await casesOfSubject(deps.sql, principal.tenantId, subjectId);
  const loaded = await loadStream(deps.store, subjectDecider, subjectCodec.decode, privacySubjectStream(subjectId));
  if (cases.length === 0 || (loaded.tenantId !== undefined && loaded.tenantId !== principal.tenantId)) {
    throw notFound(`no data subject ${subjectId}`);
  }
  return { cases, loaded };
}

/** Decides on the subject's stream and appends, each event naming its case where it has one; retried on a race. */
async function runSubjectCommand(
  deps: CasefileDeps,
  request: FastifyRequest,
  subjectId: string,
  command: (cases: readonly string[]) => SubjectCommand,
) {
  const principal = principalOf(request);
  const stream = privacySubjectStream(subjectId);
  for (let attempt = 0; ; attempt++) {
    const { cases, loaded } = await loadSubject(deps, principal, subjectId);
    const events = subjectDecider.decide(command(cases), loaded.state);
    if (events.length === 0) return { state: loaded.state, cases };
    try {
      await deps.store.append(
        stream,
        events.map((event) => ({
          id: uuidv7(),
          type: event.type,
          data: event.data,
          metadata: {
            tenantId: principal.tenantId,
            ...(event.type === 'SubjectErased' ? { caseId: event.data.caseId } : {}),
            actor: { id: principal.subject, role: readingRole(principal) },
            correlationId: String(request.id),
          },
        })),
        loaded.revision < 0 ? NO_STREAM : atRevision(loaded.revision),
      );
      return { state: events.reduce(subjectDecider.evolve, loaded.state), cases };
    } catch (error) {
      if (!(error instanceof VersionConflictError) || attempt >= 3) throw error;
    }
  }
}

const subjectView = (subjectId: string, state: ReturnType<typeof subjectDecider.initialState>) => ({
  subjectId,
  legalHold: state.hold,
  erased: state.erased,
});

export const privacyRoutes =
  (deps: CasefileDeps & { readonly accessLog: AccessLog; readonly keyStore: KeyStore }): FastifyPluginAsyncZod =>
  async (app) => {
    const protector = new PersonalDataProtector(deps.keyStore, {});
    const now = () => deps.now().toISOString();

    app.get(
      '/privacy/subjects/:subjectId',
      {
        onRequest: requireRole('admin', 'auditor'),
        schema: {
          tags: ['privacy'],
          operationId: 'casefileGetDataSubject',
          summary: 'Whether a legal hold applies to the subject, and its erasure',
          params,
          response: { 200: subject, ...problemResponses(403, 404) },
        },
      },
      async (request) => {
        const { subjectId } = request.params;
        const { loaded } = await loadSubject(deps, principalOf(request), subjectId);
        return subjectView(subjectId, loaded.state);
      },
    );

    app.post(
      '/privacy/subjects/:subjectId/legal-hold',
      {
        onRequest: requireRole('admin', 'auditor'),
        schema: {
          tags: ['privacy'],
          operationId: 'casefilePlaceLegalHold',
          summary: "Places a legal hold: the subject's data is kept (erasure refused) until it is lifted",
          params,
          body: z.strictObject({ ground: z.enum(LEGAL_HOLD_GROUNDS), reference: fileReference.optional() }),
          response: {
            200: subject,
            ...problemResponses(403, 404),
            ...problemResponseFor(409, 'The subject was erased: there is nothing left to hold'),
          },
        },
      },
      async (request) => {
        const { subjectId } = request.params;
        const { state } = await runSubjectCommand(deps, request, subjectId, () => ({
          type: 'PlaceLegalHold',
          subjectId,
          ground: request.body.ground,
          by: principalOf(request).subject,
          at: now(),
          ...(request.body.reference ? { reference: request.body.reference } : {}),
        }));
        return subjectView(subjectId, state);
      },
    );

    app.delete(
      '/privacy/subjects/:subjectId/legal-hold',
      {
        onRequest: requireRole('admin', 'auditor'),
        schema: {
          tags: ['privacy'],
          operationId: 'casefileLiftLegalHold',
          summary: 'Lifts the legal hold',
          params,
          response: {
            200: subject,
            ...problemResponses(403, 404),
            ...problemResponseFor(409, 'No legal hold applies to the subject'),
          },
        },
      },
      async (request) => {
        const { subjectId } = request.params;
        const { state } = await runSubjectCommand(deps, request, subjectId, () => ({
          type: 'LiftLegalHold',
          subjectId,
          by: principalOf(request).subject,
          at: now(),
        }));
        return subjectView(subjectId, state);
      },
    );

    app.post(
      '/privacy/subjects/:subjectId/erasure',
      {
        onRequest: requireRole('admin'),
        schema: {
          tags: ['privacy'],
          summary:
            'Erases the data subject (Art. 17): destroys their key; every service forgets what it derived. Refused (409) while a legal hold applies',
          operationId: 'casefileEraseDataSubject',
          params,
          body: z.strictObject({ ground: z.enum(ERASURE_GROUNDS), reference: fileReference.optional() }),
          response: {
            200: z
              .object({ ...subjectShape, keyDestroyed: z.boolean() })
              .describe('Recorded, and the key destroyed (again, on a retry: erasing is idempotent)'),
            ...problemResponses(403, 404),
            ...problemResponseFor(409, 'A legal hold applies: the data must be kept until it is lifted'),
          },
        },
      },
      async (request) => {
        const { subjectId } = request.params;
        const principal = principalOf(request);
        const { state } = await runSubjectCommand(deps, request, subjectId, (cases) => ({
          type: 'EraseSubject',
          subjectId,
          ground: request.body.ground,
          caseIds: cases,
          by: principal.subject,
          at: now(),
          ...(request.body.reference ? { reference: request.body.reference } : {}),
        }));
        // Recorded: now the keys go (again, on a retry: erasing is idempotent) — the subject's, and those of their
        // cases, under which events that did not name the subject were sealed (fallbackSubject).
        await deps.keyStore.erase(principal.tenantId, subjectId);
        for (const caseId of state.erased?.cases ?? []) await deps.keyStore.erase(principal.tenantId, caseId);
        return { ...subjectView(subjectId, state), keyDestroyed: true };
      },
    );

    app.get(
      '/privacy/subjects/:subjectId/export',
      {
        onRequest: requireRole('admin'),
        schema: {
          tags: ['privacy'],
          summary:
            "Everything held about the subject (Art. 15): every service's events of each of their cases, opened, and the subject's rights record. Recorded in each case's access log",
          operationId: 'casefileExportDataSubject',
          params,
          querystring: z.strictObject({ reference: fileReference.optional() }),
          response: {
            200: z
              .object({
                tenantId: z.string(),
                generatedAt: z.string(),
                generatedBy: z.object({ id: z.string(), role: z.string() }),
                ...subjectShape,
                cases: z.array(z.object({ caseId: z.string(), events: z.array(historyEntry) })),
                rightsRecord: z.array(z.object({ type: z.string(), recordedAt: z.string(), data: z.unknown() })),
              })
              .describe("The subject's cases, each with every event of every service, and the rights record"),
            ...problemResponses(403, 404),
          },
        },
      },
      async (request, reply) => {
        const { subjectId } = request.params;
        const principal = principalOf(request);
        const disclosure = disclosureOf(principal, 'subject-request');
        const { cases, loaded } = await loadSubject(deps, principal, subjectId);
        for (const caseId of cases) {
          await deps.accessLog.record({
            tenantId: principal.tenantId,
            caseId,
            actor: { id: principal.subject, role: readingRole(principal) },
            resource: 'subject-export',
            purpose: disclosure.purpose,
            reference: request.query.reference,
            correlationId: String(request.id),
          });
        }
        reply.header('cache-control', 'no-store');
        const exported = [];
        for (const caseId of cases) {
          const events = [];
          for await (const event of readWholeCase(deps.store, principal.tenantId, caseId)) {
            events.push(await toEntry(protector, event, disclosure));
          }
          exported.push({ caseId, events });
        }
        const records = await readAllOf(deps.store, privacySubjectStream(subjectId));
        return {
          tenantId: principal.tenantId,
          generatedAt: now(),
          generatedBy: { id: principal.subject, role: readingRole(principal) },
          ...subjectView(subjectId, loaded.state),
          cases: exported,
          rightsRecord: records.map((event) => ({
            type: event.type,
            recordedAt: event.recordedAt.toISOString(),
            data: event.data,
          })),
        };
      },
    );
  };

async function readAllOf(store: EventStore, stream: string) {
  const events = [];
  for (let from = 0; ; ) {
    const page = await store.readStream(stream, { fromRevision: from, limit: 1_000 });
    events.push(...page);
    if (page.length < 1_000) return events;
    from = (page.at(-1)?.revision ?? from) + 1;
  }
}
