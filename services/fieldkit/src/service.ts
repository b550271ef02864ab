import type { FastifyPluginAsync } from 'fastify';

/**
 * The fieldkit service: syncs the kit's on-site outcomes, offline first, conflicts recorded.
 * Placeholder until its issue: it answers its own health route, mounted standalone or embedded under /fieldkit.
 */
export const name = 'fieldkit';

export const service: FastifyPluginAsync = async (app) => {
  app.get('/healthz', { config: { public: true } }, async () => ({ service: name, status: 'ok' as const }));
};
