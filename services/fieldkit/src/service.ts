import { defineService } from '@buergerkoffer/shared/runtime';
import type { FastifyPluginAsync } from 'fastify';

/**
 * The fieldkit service: syncs the kit's on-site outcomes, offline first, conflicts recorded.
 * Placeholder until its issue; mounted standalone at / or embedded under /fieldkit.
 */
export const name = 'fieldkit';

/** Placeholder until its issue: no dependencies yet. */
export const buildService = (): FastifyPluginAsync => async () => {
  // Routes arrive with the service's issue.
};

export const definition = defineService({
  name,
  title: 'Bürgerkoffer fieldkit',
  defaultPort: 3104,
  usesBus: false,
  topics: { publishes: [], consumes: [] },
  deps: () => ({}),
  plugin: buildService,
});
