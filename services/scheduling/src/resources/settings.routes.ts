/**
 * The tenant's scheduling settings over HTTP: schedulers and admins read them (the defaults until the first change,
 * `ETag: W/"-1"`), admins change them as a whole with If-Match (`W/"-1"` for the first change).
 */
import { calendarDate, uniqueList } from '@buergerkoffer/shared/contracts';
import { handleCommand } from '@buergerkoffer/shared/event-sourcing';
import {
  etag,
  ifMatchHeader,
  principalOf,
  problemResponses,
  requireRole,
  withHeaders,
} from '@buergerkoffer/shared/http';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { contextOf, ifMatch, type ResourceDeps } from './resource.http.ts';
import { weekdayInput } from './resource.schemas.ts';
import {
  type SettingsState,
  settingsDecider,
  settingsTransitions,
  toSchedulingSettingsStreamName,
} from './settings.decider.ts';
import {
  GERMAN_STATES,
  holidayRegion,
  MAX_HORIZON_DAYS,
  MAX_MINUTES,
  SLOT_STEPS,
  schedulingSettingsChanged,
  settingsCodec,
} from './settings.events.ts';
import { loadSettings } from './settings.store.ts';

const minutes = z.number().int().min(0).max(MAX_MINUTES);
const settingsInput = z.strictObject({
  timeZone: z.literal('Europe/Berlin').default('Europe/Berlin'),
  holidayRegion: z.strictObject({ country: z.literal('DE'), state: z.enum(GERMAN_STATES) }),
  workingDays: uniqueList(weekdayInput, { min: 1, max: 7 }),
  closedDates: uniqueList(calendarDate, { max: 366 }).default([]),
  setupMinutes: minutes,
  packAwayMinutes: minutes,
  travelBufferMinutes: minutes,
  slotStepMinutes: z
    .number()
    .int()
    .refine((step) => SLOT_STEPS.some((allowed) => allowed === step), `one of ${SLOT_STEPS.join(', ')}`),
  horizonDays: z.number().int().min(1).max(MAX_HORIZON_DAYS),
});

const settingsView = schedulingSettingsChanged.shape.data
  .omit({ tenantId: true, changedAt: true })
  .extend({
    holidayRegion,
    status: z.enum(['default', 'customised']).describe('`default` until the tenant first changes them'),
    allowedActions: z.array(z.string()),
  })
  .describe("The tenant's scheduling settings");

const view = (state: SettingsState) => ({
  ...state.settings,
  status: state.status,
  allowedActions: settingsTransitions.allowed(state),
});

export const settingsRoutes =
  (deps: ResourceDeps): FastifyPluginAsyncZod =>
  async (app) => {
    app.get(
      '/settings',
      {
        onRequest: requireRole('scheduler', 'admin'),
        schema: {
          tags: ['resources'],
          operationId: 'schedulingGetSettings',
          summary: "Reads the tenant's scheduling settings (the defaults until changed)",
          response: { 200: withHeaders(settingsView, 'ETag'), ...problemResponses(403) },
        },
      },
      async (request, reply) => {
        const loaded = await loadSettings(deps.store, principalOf(request).tenantId);
        return reply.header('etag', etag(loaded.revision)).send(view(loaded.state));
      },
    );

    app.put(
      '/settings',
      {
        onRequest: requireRole('admin'),
        schema: {
          tags: ['resources'],
          operationId: 'schedulingChangeSettings',
          summary: 'Changes the tenant\'s scheduling settings as a whole (admins; If-Match W/"-1" the first time)',
          headers: ifMatchHeader,
          body: settingsInput,
          response: { 200: withHeaders(settingsView, 'ETag'), ...problemResponses(403, 412, 428) },
        },
      },
      async (request, reply) => {
        const { tenantId } = principalOf(request);
        const concurrency = ifMatch(request);
        const result = await handleCommand(
          {
            store: deps.store,
            decider: settingsDecider,
            decode: settingsCodec.decode,
            stream: toSchedulingSettingsStreamName(tenantId),
            loaded: await loadSettings(deps.store, tenantId),
          },
          { type: 'ChangeSchedulingSettings', tenantId, settings: request.body, now: deps.now().toISOString() },
          contextOf(request, concurrency),
        );
        return reply.header('etag', etag(result.revision)).send(view(result.state));
      },
    );
  };
