import type { FastifyPluginAsync } from 'fastify';

/**
 * The eligibility service: applies each municipality's rules and records the officer's necessity check.
 * Placeholder until its issue; mounted standalone at / or embedded under /eligibility.
 */
export const name = 'eligibility';

/** Placeholder until its issue: no dependencies yet. */
export const buildService = (): FastifyPluginAsync => async () => {
  // Routes arrive with the service's issue.
};
