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
