/**
 * The eligibility service: applies each municipality's rules (versioned data) and records the officer's necessity
 * check. Consumes intake.case.v1, publishes eligibility.assessment.v1.
 */
import { ELIGIBILITY_ASSESSMENT_TOPIC, INTAKE_CASE_TOPIC } from '@buergerkoffer/shared/contracts';
import { type BoundProjection, type Processor, startProjections } from '@buergerkoffer/shared/event-sourcing';
import {
  type Consumer,
  isContractViolation,
  type Relay,
  registerConsumerLagMetric,
  watchConsumer,
} from '@buergerkoffer/shared/messaging';
import { PersonalDataStore } from '@buergerkoffer/shared/privacy';
import { type BusParts, defineService } from '@buergerkoffer/shared/runtime';
import type { FastifyPluginAsync } from 'fastify';
import { assessmentPersonalData } from './assessments/assessment.privacy.ts';
import { assessmentRoutes } from './assessments/assessment.routes.ts';
import { assessmentQueueProjection } from './assessments/assessment-queue.projection.ts';
import { startAssessmentRelay } from './assessments/integration/assessment.relay.ts';
import { caseEventsHandler, ELIGIBILITY_GROUP } from './assessments/integration/on-case-event.consumer.ts';
import type { EligibilityDeps } from './deps.ts';
import { ruleSetRoutes } from './rules/rule-set.routes.ts';

export { assessmentPersonalData as personalData } from './assessments/assessment.privacy.ts';
export type { EligibilityDeps } from './deps.ts';

export const name = 'eligibility';

/** The service's read models, for a composition root to run or rebuild them (`pnpm casefile rebuild`). */
export const projections = (deps: Pick<EligibilityDeps, 'sealedStore' | 'sql'>): BoundProjection[] => [
  assessmentQueueProjection({ store: deps.sealedStore, sql: deps.sql }),
];

/** The service as a fastify plugin: routes, the intake consumer, the work-queue projection and the relay. */
export const buildService =
  (deps: EligibilityDeps): FastifyPluginAsync =>
  async (app) => {
    let consumer: Consumer | undefined;
    const running: Processor[] = [];
    let relay: Relay | undefined;
    const registry = app.hasDecorator('processors') ? app.processors : undefined;
    let unwatch: () => void = () => undefined;
    if (app.hasDecorator('metrics')) {
      registerConsumerLagMetric(app.metrics, deps.bus, [{ groupId: ELIGIBILITY_GROUP, topics: [INTAKE_CASE_TOPIC] }]);
    }
    app.addHook('onReady', async () => {
      running.push(...(await startProjections(projections(deps), { log: app.log, registry })));
      relay = await startAssessmentRelay(deps, { log: app.log, registry });
      consumer = await deps.bus.subscribe(
        { groupId: ELIGIBILITY_GROUP, topics: [INTAKE_CASE_TOPIC], isPermanent: isContractViolation },
        caseEventsHandler(deps),
      );
      if (registry) unwatch = watchConsumer(registry, consumer);
    });
    app.addHook('onClose', async () => {
      unwatch();
      await consumer?.stop();
      await relay?.stop();
      for (const projection of running) await projection.stop();
    });
    await app.register(ruleSetRoutes(deps));
    await app.register(assessmentRoutes(deps));
  };

/** Eligibility's dependencies from the parts every composition root has. */
export function eligibilityDeps(parts: BusParts): EligibilityDeps {
  const store = new PersonalDataStore(parts.store, parts.keyStore, assessmentPersonalData);
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
  title: 'Bürgerkoffer eligibility',
  defaultPort: 3102,
  usesBus: true,
  topics: { publishes: [ELIGIBILITY_ASSESSMENT_TOPIC], consumes: [INTAKE_CASE_TOPIC] },
  deps: eligibilityDeps,
  plugin: buildService,
  projections: (parts) => projections({ sealedStore: parts.store, sql: parts.sql }),
});
