import type { FastifyPluginAsync } from 'fastify';

/**
 * The intake service: records requests for the mobile office (115, e-mail, institution, counter) as cases.
 * Placeholder until its issue: it answers its own health route, mounted standalone or embedded under /intake.
 */
export const name = 'intake';

export const service: FastifyPluginAsync = async (app) => {
  app.get('/healthz', { config: { public: true } }, async () => ({ service: name, status: 'ok' as const }));
};
