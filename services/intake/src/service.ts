/**
 * The intake service: records requests for the mobile office (115, e-mail, institution, counter) as cases.
 * `buildService(deps)` is the service as a fastify plugin, mounted standalone at `/` or embedded under `/intake`.
 */
import type { EventStore } from '@buergerkoffer/shared/event-sourcing';
import type { FastifyPluginAsync } from 'fastify';
import { caseRoutes } from './cases/case.routes.ts';

export { casePersonalData as personalData } from './cases/case.privacy.ts';

export const name = 'intake';

export interface IntakeDeps {
  /** The event store with personal data protection (PersonalDataStore over the service's store). */
  readonly store: EventStore;
  readonly now: () => Date;
}

export const buildService =
  (deps: IntakeDeps): FastifyPluginAsync =>
  async (app) => {
    await app.register(caseRoutes(deps));
  };
