import type { FastifyPluginAsync } from 'fastify';

/**
 * The eligibility service: applies each municipality's rules and records the officer's necessity check.
 * Placeholder until its issue: it answers its own health route, mounted standalone or embedded under /eligibility.
 */
export const name = 'eligibility';

export const service: FastifyPluginAsync = async (app) => {
  app.get('/healthz', { config: { public: true } }, async () => ({ service: name, status: 'ok' as const }));
};
