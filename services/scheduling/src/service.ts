import type { FastifyPluginAsync } from 'fastify';

/**
 * The scheduling service: plans visits: a kit, two staff, a date, a place; never double-books.
 * Placeholder until its issue: it answers its own health route, mounted standalone or embedded under /scheduling.
 */
export const name = 'scheduling';

export const service: FastifyPluginAsync = async (app) => {
  app.get('/healthz', { config: { public: true } }, async () => ({ service: name, status: 'ok' as const }));
};
