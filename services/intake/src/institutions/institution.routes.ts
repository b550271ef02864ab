/**
 * Institutions and their group appointments: `POST /institutions`, `GET /institutions/{id}`, and
 * `POST /institutions/{id}/group-requests` — one case per resident (each their own applicant and services), linked
 * to the group request. Retried with the same Idempotency-Key (even after a crash half-way), it opens no case twice:
 * the group request's and the residents' case ids are derived from the key.
 *
 * Up to 60 residents are opened together (openCases: one reference append and one duplicate lookup for all, then
 * one append per case), and each case sets off work elsewhere in the process (relays, projections, the pre-check).
 * In the embedded system the store runs on this thread and answers without ever going back to the event loop, so
 * the whole request once held the loop for seconds — every tenant's requests, health checks included, waited. The
 * route hands the loop back after each case's append (see TurnTakingStore): what one turn holds is one resident's
 * append and what it set off. docs/benchmarks.md has the numbers.
 */

import { personName, phoneNumber, properName, uniqueList, upcomingDate } from '@buergerkoffer/shared/contracts';
import {
  deterministicId,
  type EventStore,
  handleCommand,
  type LoadedStream,
  loadStream,
  type Sql,
  uuidv7,
} from '@buergerkoffer/shared/event-sourcing';
import {
  commandKeyOf,
  locationOf,
  notFound,
  type Principal,
  personal,
  principalOf,
  problemResponses,
  type Role,
  requireRole,
  withHeaders,
} from '@buergerkoffer/shared/http';
import { caseWorkDisclosure, withhold } from '@buergerkoffer/shared/privacy';
import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { addressInput, applicantInput, mobilityInput, uniqueServices } from '../cases/case.schemas.ts';
import { openCases } from '../cases/open-case.ts';
import type { InstitutionCommand } from './institution.commands.ts';
import { type InstitutionState, institutionDecider, toInstitutionStreamName } from './institution.decider.ts';
import { institutionCodec, institutionContact, institutionKind, institutionRegistered } from './institution.events.ts';
import { TurnTakingStore } from './turn-taking-store.ts';

export interface InstitutionRoutesDeps {
  readonly store: EventStore;
  readonly sql: Sql;
  readonly duplicateSecret: Buffer;
  readonly now: () => Date;
}

const WRITERS: readonly Role[] = ['intake-agent', 'admin'];
const READERS: readonly Role[] = ['intake-agent', 'eligibility-officer', 'scheduler', 'admin'];
const { decode } = institutionCodec;

const params = z.object({ institutionId: z.uuid() });
/** Residents of an institution qualify through it; their own mobility claims are optional. */
const residentInput = (now: () => Date) =>
  z.strictObject({
    applicant: applicantInput(now),
    requestedServices: uniqueServices,
    mobility: mobilityInput.optional(),
  });
const institutionInput = z.strictObject({
  name: properName(200),
  kind: institutionKind,
  address: addressInput,
  contact: z.strictObject({ name: personName, phone: phoneNumber.optional(), email: z.email().max(200).optional() }),
});
/** `now` is the service's clock: a preferred date before its day is refused (as is a day the calendar lacks). */
const groupRequestInput = (now: () => Date) =>
  z.strictObject({
    residents: z.array(residentInput(now)).min(1).max(60),
    preferredDates: uniqueList(upcomingDate(now), { max: 10 }).default([]),
  });

const institutionView = institutionRegistered.shape.data
  .extend({ contact: personal(institutionContact), groupRequestIds: z.array(z.string()).readonly() })
  .describe('The institution as registered, and its group requests');

const context = (request: FastifyRequest, principal: Principal, extra: { idempotencyKey?: string } = {}) => ({
  tenantId: principal.tenantId,
  actor: { id: principal.subject, role: principal.roles[0] ?? 'unknown' },
  correlationId: String(request.id),
  ...extra,
});

/** The institution of the principal's tenant, or 404 (another tenant's answers as absent). One read. */
async function loadInstitution(store: EventStore, institutionId: string, principal: Principal) {
  const loaded = await loadStream(store, institutionDecider, decode, toInstitutionStreamName(institutionId));
  if (loaded.tenantId !== principal.tenantId) throw notFound(`institution ${institutionId} not found`);
  return loaded;
}

export const institutionRoutes =
  (deps: InstitutionRoutesDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const residentDeps = { ...deps, store: new TurnTakingStore(deps.store) };
    const handle = (
      request: FastifyRequest,
      principal: Principal,
      command: InstitutionCommand,
      key?: string,
      loaded?: LoadedStream<InstitutionState>,
    ) =>
      handleCommand(
        {
          store: deps.store,
          decider: institutionDecider,
          decode,
          stream: toInstitutionStreamName(command.institutionId),
          ...(loaded ? { loaded } : {}),
        },
        command,
        context(request, principal, key === undefined ? {} : { idempotencyKey: key }),
      );

    app.post(
      '/institutions',
      {
        onRequest: requireRole(...WRITERS),
        schema: {
          tags: ['institutions'],
          operationId: 'intakeRegisterInstitution',
          summary: 'Registers an institution (a care home, …) whose residents are visited together',
          body: institutionInput,
          response: {
            201: withHeaders(
              z.object({ institutionId: z.string() }).describe('The institution registered'),
              'Location',
              'ETag',
            ),
            ...problemResponses(403),
          },
        },
      },
      async (request, reply) => {
        const principal = principalOf(request);
        // With an Idempotency-Key the institution's id comes from it (scoped by tenant and caller): a retry whose
        // answer was lost with its idempotency record registers nothing twice, and answers the same id.
        const { idempotencyKey } = commandKeyOf(request);
        const institutionId =
          idempotencyKey === undefined ? uuidv7() : deterministicId('institution', principal.tenantId, idempotencyKey);
        const result = await handle(
          request,
          principal,
          { type: 'RegisterInstitution', institutionId, ...request.body, now: deps.now().toISOString() },
          idempotencyKey,
        );
        return reply
          .code(201)
          .header('location', locationOf(request, institutionId))
          .header('etag', `W/"${result.revision}"`)
          .send({ institutionId });
      },
    );

    app.get(
      '/institutions/:institutionId',
      {
        onRequest: requireRole(...READERS),
        schema: {
          tags: ['institutions'],
          operationId: 'intakeGetInstitution',
          summary: 'Reads an institution',
          params,
          response: { 200: withHeaders(institutionView, 'ETag'), ...problemResponses(403, 404) },
        },
      },
      async (request, reply) => {
        const { state, revision } = await loadInstitution(
          deps.store,
          request.params.institutionId,
          principalOf(request),
        );
        if (state.status === 'none') throw notFound();
        // The contact is a member of the institution's staff: shown to the roles whose case work reaches them
        // (shared/privacy/disclosure-policy.ts), never cached. Not a case: no case's access log records it.
        const view = { ...state.registered, groupRequestIds: state.groupRequestIds };
        return reply
          .header('etag', `W/"${revision}"`)
          .header('cache-control', 'no-store')
          .send(
            withhold(view, caseWorkDisclosure(principalOf(request)), {
              contact: 'contact',
              name: 'institution',
              kind: 'institution',
            }),
          );
      },
    );

    app.post(
      '/institutions/:institutionId/group-requests',
      {
        onRequest: requireRole(...WRITERS),
        schema: {
          tags: ['institutions'],
          operationId: 'intakeRequestGroupAppointment',
          summary: "Requests a group appointment: one case per resident, each the resident's own",
          params,
          body: groupRequestInput(deps.now),
          response: {
            201: withHeaders(
              z
                .object({ groupRequestId: z.string(), caseIds: z.array(z.string()) })
                .describe("The group request and its residents' cases, in the order of `residents`"),
              'Location',
            ),
            ...problemResponses(403, 404, 409),
          },
        },
      },
      async (request, reply) => {
        const principal = principalOf(request);
        const { institutionId } = request.params;
        // One read: the institution (its kind, for the residents' pre-check) is what the command decides on too.
        const loaded = await loadInstitution(deps.store, institutionId, principal);
        const residentsInstitutionKind =
          loaded.state.status === 'registered' ? loaded.state.registered.kind : undefined;
        // The caller's key (scoped by caller: two agents' equal keys name two group requests), or a fresh one.
        const key = commandKeyOf(request).idempotencyKey ?? uuidv7();
        const groupRequestId = deterministicId('groupRequest', principal.tenantId, institutionId, key);
        const caseIds = request.body.residents.map((_, index) =>
          deterministicId('groupCase', groupRequestId, String(index)),
        );
        // The group request first (it names every case), then each resident's case.
        const group = await handle(
          request,
          principal,
          {
            type: 'RequestGroupAppointment',
            institutionId,
            groupRequestId,
            caseIds,
            preferredDates: request.body.preferredDates,
            now: deps.now().toISOString(),
          },
          `${key}:group`,
          loaded,
        );
        await openCases(
          residentDeps,
          principal,
          request.body.residents.map((resident, index) => ({
            input: {
              applicant: resident.applicant,
              requestedServices: resident.requestedServices,
              mobility: resident.mobility ?? { careLevel: null, disabilityMarks: [], permanentlyHomebound: false },
              channel: 'institution',
              groupRequestId,
              institutionId,
              institutionKind: residentsInstitutionKind,
            },
            options: {
              caseId: caseIds[index],
              idempotencyKey: `${key}:case:${index}`,
              correlationId: String(request.id),
            },
          })),
          // Its event is new: no earlier run of this request opened a case or drew a reference (that comes after).
          { fresh: group.events.length > 0 && !group.replayed },
        );
        return reply
          .code(201)
          .header('location', locationOf(request, groupRequestId))
          .send({ groupRequestId, caseIds });
      },
    );
  };
