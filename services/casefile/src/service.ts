import type { FastifyPluginAsync } from 'fastify';

/**
 * The casefile service: rebuilds case histories for auditors, time travel, integrity, live feeds.
 * Placeholder until its issue; mounted standalone at / or embedded under /casefile.
 */
export const name = 'casefile';

/** Placeholder until its issue: no dependencies yet. */
export const buildService = (): FastifyPluginAsync => async () => {
  // Routes arrive with the service's issue.
};
