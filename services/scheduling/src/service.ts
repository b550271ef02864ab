import { defineService } from '@buergerkoffer/shared/runtime';
import type { FastifyPluginAsync } from 'fastify';

/**
 * The scheduling service: plans visits: a kit, two staff, a date, a place; never double-books.
 * Placeholder until its issue; mounted standalone at / or embedded under /scheduling.
 */
export const name = 'scheduling';

/** Placeholder until its issue: no dependencies yet. */
export const buildService = (): FastifyPluginAsync => async () => {
  // Routes arrive with the service's issue.
};

export const definition = defineService({
  name,
  title: 'Bürgerkoffer scheduling',
  defaultPort: 3103,
  usesBus: false,
  topics: { publishes: [], consumes: [] },
  deps: () => ({}),
  plugin: buildService,
});
