/**
 * The casefile service: every case's full history for auditors (paginated, printable, integrity-checked, with time
 * travel), the access log, and live feeds for staff UIs — read from the event store alone, nothing kept elsewhere
 * that could disagree with it.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { CasefileDeps } from './deps.ts';

export type { CasefileDeps, FeedOptions } from './deps.ts';

export const name = 'casefile';

export const buildService =
  (_deps: CasefileDeps): FastifyPluginAsync =>
  async () => {};
