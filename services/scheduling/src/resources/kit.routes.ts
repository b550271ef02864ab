/**
 * The kits over HTTP: admins register a kit with its devices, change its name and home office and withdraw it;
 * whoever has it in hand reports a device faulty or repaired (If-Match optional there: a report from the field must
 * not fail because the kit changed meanwhile). Reads answer `ETag`, the kit's `allowedActions`, and another tenant's
 * kit as absent. The list is the projection's (resource.projections.ts).
 */
import { KIT_DEVICES } from '@buergerkoffer/shared/contracts';
import { type EventStore, handleCommand, type LoadedStream, loadStream } from '@buergerkoffer/shared/event-sourcing';
import {
  etag,
  ifMatchHeader,
  locationOf,
  notFound,
  principalOf,
  problemResponses,
  requireRole,
  withHeaders,
} from '@buergerkoffer/shared/http';
import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { KitCommand } from './kit.commands.ts';
import { type KitState, kitDecider, kitTransitions, toKitStreamName } from './kit.decider.ts';
import { deviceStatus, kitCodec, kitDevice } from './kit.events.ts';
import {
  type Concurrency,
  contextOf,
  DEVICE_REPORTERS,
  ifMatch,
  ifMatchIfSent,
  newIdOf,
  RESOURCE_READERS,
  type ResourceDeps,
} from './resource.http.ts';
import { listKits } from './resource.projections.ts';
import { resourceName } from './resource.schemas.ts';

const { decode } = kitCodec;
const kitParams = z.object({ kitId: z.uuid() });
const deviceParams = kitParams.extend({ device: kitDevice });
const kitDetailsInput = z.strictObject({ name: resourceName, homeOffice: resourceName });
const kitInput = z.strictObject({
  ...kitDetailsInput.shape,
  devices: z
    .array(z.strictObject({ device: kitDevice, status: deviceStatus.default('ok') }))
    .min(1)
    .max(KIT_DEVICES.length)
    .superRefine((devices, context) => {
      devices.forEach(({ device }, index) => {
        if (devices.findIndex((d) => d.device === device) !== index)
          context.addIssue({ code: 'custom', path: [index, 'device'], message: `${device} is listed twice` });
      });
    }),
});

const kitStatus = z.enum(['in-service', 'withdrawn']);
const allowedActions = z.array(z.string()).describe('The commands the resource accepts now: a UI offers only these');
const kitView = z
  .object({
    kitId: z.string(),
    name: z.string(),
    homeOffice: z.string(),
    status: kitStatus,
    devices: z.record(z.string(), deviceStatus).describe("Each of the kit's devices and whether it works"),
    allowedActions,
  })
  .describe('The kit, its devices and what it accepts now');
const kitList = z
  .object({ items: z.array(kitView.extend({ revision: z.number().int() })) })
  .describe("The tenant's kits by name, withdrawn ones included");

const view = (state: KitState) => {
  if (state.status === 'none') throw notFound();
  const { kitId, name, homeOffice, status, devices } = state;
  const byDevice = Object.fromEntries(devices.map((d) => [d.device, d.status]));
  return { kitId, name, homeOffice, status, devices: byDevice, allowedActions: kitTransitions.allowed(state) };
};

/** The kit of the caller's tenant, or 404 (another tenant's answers as absent). One read. */
async function loadKit(store: EventStore, request: FastifyRequest, kitId: string) {
  const loaded = await loadStream(store, kitDecider, decode, toKitStreamName(kitId));
  if (loaded.state.status === 'none' || loaded.tenantId !== principalOf(request).tenantId) {
    throw notFound(`kit ${kitId} not found`);
  }
  return loaded;
}

const changeResponses = { 200: withHeaders(kitView, 'ETag'), ...problemResponses(403, 404, 409, 412, 428) };

export const kitRoutes =
  (deps: ResourceDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const now = () => deps.now().toISOString();
    const run = (
      request: FastifyRequest,
      command: KitCommand,
      concurrency: Concurrency,
      loaded?: LoadedStream<KitState>,
    ) =>
      handleCommand(
        {
          store: deps.store,
          decider: kitDecider,
          decode,
          stream: toKitStreamName(command.kitId),
          retries: 3,
          ...(loaded ? { loaded } : { expectNew: true }),
        },
        command,
        contextOf(request, concurrency),
      );
    /** Loads the caller's kit (404 across tenants), applies the change, answers the kit with its ETag. */
    const change = async (request: FastifyRequest, command: KitCommand, concurrency: Concurrency) => {
      const result = await run(request, command, concurrency, await loadKit(deps.store, request, command.kitId));
      return { etag: etag(result.revision), body: view(result.state) };
    };

    app.post(
      '/kits',
      {
        onRequest: requireRole('admin'),
        schema: {
          tags: ['resources'],
          operationId: 'schedulingRegisterKit',
          summary: 'Registers a kit with its devices (admins)',
          body: kitInput,
          response: { 201: withHeaders(kitView, 'Location', 'ETag'), ...problemResponses(403, 409) },
        },
      },
      async (request, reply) => {
        const kitId = newIdOf(request, 'kit');
        const result = await run(request, { type: 'RegisterKit', kitId, ...request.body, now: now() }, {});
        return reply
          .code(201)
          .header('location', locationOf(request, kitId))
          .header('etag', etag(result.revision))
          .send(view(result.state));
      },
    );

    app.get(
      '/kits',
      {
        onRequest: requireRole(...RESOURCE_READERS),
        schema: {
          tags: ['resources'],
          operationId: 'schedulingListKits',
          summary: "Lists the tenant's kits and the state of their devices",
          response: { 200: kitList, ...problemResponses(403) },
        },
      },
      async (request) => {
        const rows = await listKits(deps.sql, principalOf(request).tenantId);
        return { items: rows.map((row) => ({ ...row, allowedActions: [...kitTransitions.table[row.status]] })) };
      },
    );

    app.get(
      '/kits/:kitId',
      {
        onRequest: requireRole(...RESOURCE_READERS),
        schema: {
          tags: ['resources'],
          operationId: 'schedulingGetKit',
          summary: 'Reads a kit and the state of its devices',
          params: kitParams,
          response: { 200: withHeaders(kitView, 'ETag'), ...problemResponses(403, 404) },
        },
      },
      async (request, reply) => {
        const { state, revision } = await loadKit(deps.store, request, request.params.kitId);
        return reply.header('etag', etag(revision)).send(view(state));
      },
    );

    app.put(
      '/kits/:kitId',
      {
        onRequest: requireRole('admin'),
        schema: {
          tags: ['resources'],
          operationId: 'schedulingChangeKitDetails',
          summary: "Changes a kit's name and home office (admins)",
          params: kitParams,
          headers: ifMatchHeader,
          body: kitDetailsInput,
          response: changeResponses,
        },
      },
      async (request, reply) => {
        const command: KitCommand = { type: 'ChangeKitDetails', ...request.params, ...request.body, now: now() };
        const done = await change(request, command, ifMatch(request));
        return reply.header('etag', done.etag).send(done.body);
      },
    );

    app.post(
      '/kits/:kitId/withdraw',
      {
        onRequest: requireRole('admin'),
        schema: {
          tags: ['resources'],
          operationId: 'schedulingWithdrawKit',
          summary: 'Withdraws a kit from service for good (admins)',
          params: kitParams,
          headers: ifMatchHeader,
          response: changeResponses,
        },
      },
      async (request, reply) => {
        const done = await change(request, { type: 'WithdrawKit', ...request.params, now: now() }, ifMatch(request));
        return reply.header('etag', done.etag).send(done.body);
      },
    );

    /** A device report: If-Match optional (a report from the field goes through as the kit is now). */
    const deviceReport = (operationId: string, summary: string) => ({
      onRequest: requireRole(...DEVICE_REPORTERS),
      schema: {
        tags: ['resources'],
        operationId,
        summary,
        description: 'If-Match is optional here (412 when stale); without it the report applies to the kit as it is',
        params: deviceParams,
        response: { 200: withHeaders(kitView, 'ETag'), ...problemResponses(403, 404, 409, 412) },
      },
    });

    app.post(
      '/kits/:kitId/devices/:device/fault',
      deviceReport('schedulingReportKitDeviceFaulty', "Reports a kit's device faulty (again: records nothing)"),
      async (request, reply) => {
        const reportedBy = principalOf(request).subject;
        const command: KitCommand = { type: 'ReportDeviceFaulty', ...request.params, reportedBy, now: now() };
        const done = await change(request, command, ifMatchIfSent(request));
        return reply.header('etag', done.etag).send(done.body);
      },
    );

    app.post(
      '/kits/:kitId/devices/:device/repair',
      deviceReport('schedulingReportKitDeviceRepaired', "Reports a kit's device repaired (again: records nothing)"),
      async (request, reply) => {
        const repairedBy = principalOf(request).subject;
        const command: KitCommand = { type: 'RepairDevice', ...request.params, repairedBy, now: now() };
        const done = await change(request, command, ifMatchIfSent(request));
        return reply.header('etag', done.etag).send(done.body);
      },
    );
  };
