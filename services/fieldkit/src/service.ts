/**
 * The fieldkit service: the kit's day on site. Follows what the office planned (scheduling.visit.v1) and who each
 * participant is (intake.case.v1, sealed), serves each kit its day's manifest, takes in the kit's records through
 * poor reception — exactly once per submission id, a record on a stale manifest kept as a conflict for the office's
 * review —, and publishes what took effect on fieldkit.outcome.v1. Mounted standalone at / or embedded under
 * /fieldkit.
 */
import { FIELDKIT_OUTCOME_TOPIC } from '@buergerkoffer/shared/contracts';
import { type BoundProjection, type Processor, startProjections } from '@buergerkoffer/shared/event-sourcing';
import {
  type Consumer,
  isContractViolation,
  type Relay,
  registerConsumerLagMetric,
  watchConsumer,
} from '@buergerkoffer/shared/messaging';
import { PersonalDataStore } from '@buergerkoffer/shared/privacy';
import { type BusParts, defineService, type SystemParts } from '@buergerkoffer/shared/runtime';
import type { FastifyPluginAsync } from 'fastify';
import { conflictRoutes } from './conflicts/conflict.routes.ts';
import type { FieldkitDeps } from './deps.ts';
import { CONSUMED_TOPICS, FIELDKIT_GROUP, officeEventsHandler } from './integration/on-office-event.consumer.ts';
import { startOutcomeRelay } from './integration/outcome.relay.ts';
import { kitRoutes } from './kit.routes.ts';
import { participantPersonalData } from './participants/participant.ts';
import { conflictsProjection, fieldVisitsProjection } from './visits/field-visit.projections.ts';

export type { FieldkitDeps } from './deps.ts';
export { participantPersonalData as personalData } from './participants/participant.ts';

export const name = 'fieldkit';

/** The service's read models (nothing personal in either: both read the store as stored). */
export const projections = (deps: Pick<SystemParts, 'store' | 'sql'>): BoundProjection[] => {
  const bound = { store: deps.store, sql: deps.sql };
  return [fieldVisitsProjection(bound), conflictsProjection(bound)];
};

/** The service as a fastify plugin: routes, the office consumer, the read models and the relay. */
export const buildService =
  (deps: FieldkitDeps): FastifyPluginAsync =>
  async (app) => {
    let consumer: Consumer | undefined;
    let relay: Relay | undefined;
    const running: Processor[] = [];
    const registry = app.hasDecorator('processors') ? app.processors : undefined;
    let unwatch: () => void = () => undefined;
    if (app.hasDecorator('metrics')) {
      registerConsumerLagMetric(app.metrics, deps.bus, [{ groupId: FIELDKIT_GROUP, topics: CONSUMED_TOPICS }]);
    }
    app.addHook('onReady', async () => {
      running.push(
        ...(await startProjections(projections({ store: deps.sealedStore, sql: deps.sql }), {
          log: app.log,
          registry,
        })),
      );
      relay = await startOutcomeRelay(deps, { log: app.log, registry });
      consumer = await deps.bus.subscribe(
        { groupId: FIELDKIT_GROUP, topics: CONSUMED_TOPICS, isPermanent: isContractViolation },
        officeEventsHandler({ store: deps.sealedStore, personalStore: deps.store, protector: deps.protector }),
      );
      if (registry) unwatch = watchConsumer(registry, consumer);
    });
    app.addHook('onClose', async () => {
      unwatch();
      await consumer?.stop();
      await relay?.stop();
      for (const processor of running) await processor.stop();
    });
    await app.register(kitRoutes(deps));
    await app.register(conflictRoutes(deps));
  };

/** Fieldkit's dependencies from the parts every composition root has. */
export function fieldkitDeps(parts: BusParts): FieldkitDeps {
  const store = new PersonalDataStore(parts.store, parts.keyStore, participantPersonalData);
  return {
    store,
    sealedStore: parts.store,
    sql: parts.sql,
    checkpoints: parts.checkpoints,
    bus: parts.bus,
    protector: store.protector,
    now: parts.now,
  };
}

export const definition = defineService({
  name,
  title: 'Bürgerkoffer fieldkit',
  defaultPort: 3104,
  usesBus: true,
  topics: { publishes: [FIELDKIT_OUTCOME_TOPIC], consumes: CONSUMED_TOPICS },
  deps: fieldkitDeps,
  plugin: buildService,
  projections: (parts) => projections(parts),
});
