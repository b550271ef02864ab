/**
 * The field staff over HTTP: admins register a member of staff with their working week, change the week and
 * deactivate them; admins and schedulers record and cancel absences (dates only, never a reason). Every change needs
 * If-Match; reads answer `ETag`, `allowedActions`, and another tenant's staff as absent. The list is the
 * projection's (resource.projections.ts).
 */
import { calendarDate } from '@buergerkoffer/shared/contracts';
import { type EventStore, handleCommand, type LoadedStream, loadStream } from '@buergerkoffer/shared/event-sourcing';
import {
  etag,
  ifMatchHeader,
  locationOf,
  notFound,
  principalOf,
  problemResponses,
  type Role,
  requireRole,
  withHeaders,
} from '@buergerkoffer/shared/http';
import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { type Concurrency, contextOf, ifMatch, newIdOf, RESOURCE_READERS, type ResourceDeps } from './resource.http.ts';
import { listStaff } from './resource.projections.ts';
import { resourceName, workingHoursInput } from './resource.schemas.ts';
import type { StaffCommand } from './staff.commands.ts';
import { type StaffState, staffDecider, staffTransitions, toStaffStreamName } from './staff.decider.ts';
import { staffCodec, workingHours } from './staff.events.ts';
import { normalizeWorkingHours } from './working-hours.ts';

const ABSENCE_WRITERS: readonly Role[] = ['admin', 'scheduler'];
const { decode } = staffCodec;
const staffParams = z.object({ staffId: z.uuid() });
const absenceParams = staffParams.extend({ absenceId: z.uuid() });
const staffInput = z.strictObject({
  displayName: resourceName,
  homeOffice: resourceName,
  workingHours: workingHoursInput,
});
const absenceInput = z
  .strictObject({ from: calendarDate, to: calendarDate })
  .refine((absence) => absence.from <= absence.to, { path: ['to'], message: 'not before `from`' })
  .describe('The local dates of the absence, both included; no reason (it would be health data)');

const absence = z.object({ absenceId: z.string(), from: z.string(), to: z.string() });
const staffView = z
  .object({
    staffId: z.string(),
    displayName: z.string(),
    homeOffice: z.string(),
    active: z.boolean(),
    workingHours,
    absences: z.array(absence),
    allowedActions: z
      .array(z.string())
      .describe('The commands the member of staff accepts now: a UI offers only these'),
  })
  .describe('The member of staff: their working week and their absences standing');
const staffList = z
  .object({ items: z.array(staffView.extend({ revision: z.number().int() })) })
  .describe("The tenant's field staff by name, deactivated ones included");

const view = (state: StaffState) => {
  if (state.status === 'none') throw notFound();
  const { staffId, displayName, homeOffice, absences } = state;
  return {
    staffId,
    displayName,
    homeOffice,
    active: state.status === 'active',
    workingHours: normalizeWorkingHours(state.workingHours),
    absences: absences.map((a) => ({ ...a })),
    allowedActions: staffTransitions.allowed(state),
  };
};

/** The member of staff of the caller's tenant, or 404 (another tenant's answers as absent). One read. */
async function loadStaffMember(store: EventStore, request: FastifyRequest, staffId: string) {
  const loaded = await loadStream(store, staffDecider, decode, toStaffStreamName(staffId));
  if (loaded.state.status === 'none' || loaded.tenantId !== principalOf(request).tenantId) {
    throw notFound(`staff member ${staffId} not found`);
  }
  return loaded;
}

const changeResponses = { 200: withHeaders(staffView, 'ETag'), ...problemResponses(403, 404, 409, 412, 428) };

export const staffRoutes =
  (deps: ResourceDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const now = () => deps.now().toISOString();
    const run = (
      request: FastifyRequest,
      command: StaffCommand,
      concurrency: Concurrency,
      loaded?: LoadedStream<StaffState>,
    ) =>
      handleCommand(
        {
          store: deps.store,
          decider: staffDecider,
          decode,
          stream: toStaffStreamName(command.staffId),
          ...(loaded ? { loaded } : { expectNew: true }),
        },
        command,
        contextOf(request, concurrency),
      );
    /** Loads the caller's member of staff (404 across tenants), applies the change at the If-Match revision. */
    const change = async (request: FastifyRequest, command: StaffCommand) => {
      const concurrency = ifMatch(request);
      const result = await run(
        request,
        command,
        concurrency,
        await loadStaffMember(deps.store, request, command.staffId),
      );
      return { etag: etag(result.revision), body: view(result.state) };
    };

    app.post(
      '/staff',
      {
        onRequest: requireRole('admin'),
        schema: {
          tags: ['resources'],
          operationId: 'schedulingRegisterStaffMember',
          summary: 'Registers a member of the field staff with their working week (admins)',
          body: staffInput,
          response: { 201: withHeaders(staffView, 'Location', 'ETag'), ...problemResponses(403, 409) },
        },
      },
      async (request, reply) => {
        const staffId = newIdOf(request, 'staffMember');
        const result = await run(request, { type: 'RegisterStaffMember', staffId, ...request.body, now: now() }, {});
        return reply
          .code(201)
          .header('location', locationOf(request, staffId))
          .header('etag', etag(result.revision))
          .send(view(result.state));
      },
    );

    app.get(
      '/staff',
      {
        onRequest: requireRole(...RESOURCE_READERS),
        schema: {
          tags: ['resources'],
          operationId: 'schedulingListStaff',
          summary: "Lists the tenant's field staff, their working weeks and absences",
          response: { 200: staffList, ...problemResponses(403) },
        },
      },
      async (request) => {
        const rows = await listStaff(deps.sql, principalOf(request).tenantId);
        const allowed = (active: boolean) => [...staffTransitions.table[active ? 'active' : 'deactivated']];
        return { items: rows.map((row) => ({ ...row, allowedActions: allowed(row.active) })) };
      },
    );

    app.get(
      '/staff/:staffId',
      {
        onRequest: requireRole(...RESOURCE_READERS),
        schema: {
          tags: ['resources'],
          operationId: 'schedulingGetStaffMember',
          summary: 'Reads a member of the field staff',
          params: staffParams,
          response: { 200: withHeaders(staffView, 'ETag'), ...problemResponses(403, 404) },
        },
      },
      async (request, reply) => {
        const { state, revision } = await loadStaffMember(deps.store, request, request.params.staffId);
        return reply.header('etag', etag(revision)).send(view(state));
      },
    );

    app.put(
      '/staff/:staffId/working-hours',
      {
        onRequest: requireRole('admin'),
        schema: {
          tags: ['resources'],
          operationId: 'schedulingChangeWorkingHours',
          summary: "Changes a member of staff's working week (admins)",
          params: staffParams,
          headers: ifMatchHeader,
          body: workingHoursInput,
          response: changeResponses,
        },
      },
      async (request, reply) => {
        const { staffId } = request.params;
        const done = await change(request, {
          type: 'ChangeWorkingHours',
          staffId,
          workingHours: request.body,
          now: now(),
        });
        return reply.header('etag', done.etag).send(done.body);
      },
    );

    app.post(
      '/staff/:staffId/absences',
      {
        onRequest: requireRole(...ABSENCE_WRITERS),
        schema: {
          tags: ['resources'],
          operationId: 'schedulingRecordAbsence',
          summary: 'Records an absence of a member of staff, from a date to a date (no reason)',
          params: staffParams,
          headers: ifMatchHeader,
          body: absenceInput,
          response: {
            201: withHeaders(
              staffView.extend({ absenceId: z.string() }).describe('The member of staff with the absence recorded'),
              'Location',
              'ETag',
            ),
            ...problemResponses(403, 404, 409, 412, 428),
          },
        },
      },
      async (request, reply) => {
        const { staffId } = request.params;
        const absenceId = newIdOf(request, 'absence', staffId);
        const done = await change(request, { type: 'RecordAbsence', staffId, absenceId, ...request.body, now: now() });
        return reply
          .code(201)
          .header('location', locationOf(request, absenceId))
          .header('etag', done.etag)
          .send({ ...done.body, absenceId });
      },
    );

    app.delete(
      '/staff/:staffId/absences/:absenceId',
      {
        onRequest: requireRole(...ABSENCE_WRITERS),
        schema: {
          tags: ['resources'],
          operationId: 'schedulingCancelAbsence',
          summary: "Cancels a member of staff's absence (once cancelled, again records nothing)",
          params: absenceParams,
          headers: ifMatchHeader,
          response: changeResponses,
        },
      },
      async (request, reply) => {
        const done = await change(request, { type: 'CancelAbsence', ...request.params, now: now() });
        return reply.header('etag', done.etag).send(done.body);
      },
    );

    app.post(
      '/staff/:staffId/deactivate',
      {
        onRequest: requireRole('admin'),
        schema: {
          tags: ['resources'],
          operationId: 'schedulingDeactivateStaffMember',
          summary: 'Deactivates a member of staff who leaves the mobile office, for good (admins)',
          params: staffParams,
          headers: ifMatchHeader,
          response: changeResponses,
        },
      },
      async (request, reply) => {
        const done = await change(request, { type: 'DeactivateStaffMember', ...request.params, now: now() });
        return reply.header('etag', done.etag).send(done.body);
      },
    );
  };
