/** The rule sets over HTTP: read the one in force and the history; admins publish a new version. */
import { handleCommand } from '@buergerkoffer/shared/event-sourcing';
import {
  commandKeyOf,
  principalOf,
  problemResponses,
  type Role,
  requireRole,
  withHeaders,
} from '@buergerkoffer/shared/http';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { EligibilityDeps } from '../deps.ts';
import { ruleSetDecider, ruleSetInForce, toRuleSetStreamName } from './rule-set.decider.ts';
import { ruleSetRules } from './rule-set.events.ts';
import { publishRuleSetInput } from './rule-set.schemas.ts';
import { decodeRuleSetEvent, loadRuleSets } from './rule-set.store.ts';

const STAFF: readonly Role[] = ['intake-agent', 'eligibility-officer', 'scheduler', 'auditor', 'admin'];

const ruleSetView = z.object({ version: z.number().int(), effectiveFrom: z.string(), ...ruleSetRules.shape });

export const ruleSetRoutes =
  (deps: EligibilityDeps): FastifyPluginAsyncZod =>
  async (app) => {
    app.get(
      '/rule-sets/current',
      {
        onRequest: requireRole(...STAFF),
        schema: {
          tags: ['rule-sets'],
          operationId: 'eligibilityGetCurrentRuleSet',
          summary: "The tenant's rule set in force today (version 0: the seed city's default)",
          response: { 200: ruleSetView.describe('The rule set in force'), ...problemResponses(403) },
        },
      },
      async (request) => {
        const { state } = await loadRuleSets(deps.store, principalOf(request).tenantId);
        const current = ruleSetInForce(state, deps.now().toISOString().slice(0, 10));
        return { version: current.version, effectiveFrom: current.effectiveFrom, ...current.rules };
      },
    );

    app.get(
      '/rule-sets',
      {
        onRequest: requireRole(...STAFF),
        schema: {
          tags: ['rule-sets'],
          operationId: 'eligibilityListRuleSets',
          summary: "Every published version of the tenant's rule set, and which is in force",
          response: {
            200: z
              .object({ inForce: z.number().int(), versions: z.array(ruleSetView) })
              .describe('The versions in the order published; `inForce` names the one in force today'),
            ...problemResponses(403),
          },
        },
      },
      async (request) => {
        const { state } = await loadRuleSets(deps.store, principalOf(request).tenantId);
        const today = deps.now().toISOString().slice(0, 10);
        const inForce = ruleSetInForce(state, today).version;
        return {
          inForce,
          versions: state.versions.map((v) => ({ version: v.version, effectiveFrom: v.effectiveFrom, ...v.rules })),
        };
      },
    );

    app.post(
      '/rule-sets',
      {
        onRequest: requireRole('admin'),
        schema: {
          tags: ['rule-sets'],
          operationId: 'eligibilityPublishRuleSet',
          summary: 'Publishes a new version of the rule set, effective from a day to come (admins)',
          body: publishRuleSetInput(deps.now),
          response: {
            201: withHeaders(
              z.object({ version: z.number(), effectiveFrom: z.string() }).describe('The version published'),
              'ETag',
            ),
            ...problemResponses(403),
          },
        },
      },
      async (request, reply) => {
        const principal = principalOf(request);
        const { effectiveFrom, ...rules } = request.body;
        const result = await handleCommand(
          {
            store: deps.store,
            decider: ruleSetDecider,
            decode: decodeRuleSetEvent,
            stream: toRuleSetStreamName(principal.tenantId),
            retries: 3,
          },
          {
            type: 'PublishRuleSet',
            tenantId: principal.tenantId,
            effectiveFrom,
            rules,
            publishedBy: principal.subject,
            now: deps.now().toISOString(),
          },
          {
            tenantId: principal.tenantId,
            actor: { id: principal.subject, role: 'admin' },
            correlationId: String(request.id),
            // A retry whose answer was lost publishes nothing twice: the version's event id comes from the key.
            ...commandKeyOf(request),
          },
        );
        const version = result.state.versions.at(-1)?.version ?? 0;
        return reply.code(201).header('etag', `W/"${result.revision}"`).send({ version, effectiveFrom });
      },
    );
  };
