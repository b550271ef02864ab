import type { FastifyPluginAsync } from 'fastify';

/**
 * The casefile service: rebuilds case histories for auditors, time travel, integrity, live feeds.
 * Placeholder until its issue: it answers its own health route, mounted standalone or embedded under /casefile.
 */
export const name = 'casefile';

export const service: FastifyPluginAsync = async (app) => {
  app.get('/healthz', { config: { public: true } }, async () => ({ service: name, status: 'ok' as const }));
};
