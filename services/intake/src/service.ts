/**
 * The intake service: records requests for the mobile office (115, e-mail, institution, counter) as cases.
 * `buildService(deps)` is the service as a fastify plugin, mounted standalone at `/` or embedded under `/intake`.
 */
import type { CheckpointStore, EventStore, Sql, Subscription } from '@buergerkoffer/shared/event-sourcing';
import type { EventBus, Relay } from '@buergerkoffer/shared/messaging';
import type { FastifyPluginAsync } from 'fastify';
import { caseRoutes } from './cases/case.routes.ts';
import { startCaseListProjection } from './cases/case-list.projection.ts';
import { startCaseRelay } from './cases/integration/case.relay.ts';
import { institutionRoutes } from './institutions/institution.routes.ts';

export { casePersonalData as personalData } from './cases/case.privacy.ts';

export const name = 'intake';

export interface IntakeDeps {
  /** The event store with personal data protection (PersonalDataStore over the service's store). */
  readonly store: EventStore;
  /** The service's own database: projections and checkpoints. */
  readonly sql: Sql;
  readonly checkpoints: CheckpointStore;
  /** The HMAC key of the probable-duplicate lookup (derive it from the deployment's secrets). */
  readonly duplicateSecret: Buffer;
  readonly now: () => Date;
  /** Publishing integration events: the store as stored (sealed) and the bus. */
  readonly relay?: { readonly sealedStore: EventStore; readonly bus: EventBus };
}

/** The service as a fastify plugin: its routes, and its projection running while the app runs. */
export const buildService =
  (deps: IntakeDeps): FastifyPluginAsync =>
  async (app) => {
    let projection: Subscription | undefined;
    let relay: Relay | undefined;
    app.addHook('onReady', async () => {
      projection = await startCaseListProjection(deps);
      if (deps.relay) relay = await startCaseRelay({ ...deps.relay, checkpoints: deps.checkpoints });
    });
    app.addHook('onClose', async () => {
      await relay?.stop();
      await projection?.stop();
    });
    await app.register(caseRoutes(deps));
    await app.register(institutionRoutes(deps));
  };
