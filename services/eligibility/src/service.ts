/**
 * The eligibility service: applies each municipality's rules (versioned data) and records the officer's necessity
 * check. Consumes intake.case.v1, publishes eligibility.assessment.v1.
 */
import { INTAKE_CASE_TOPIC } from '@buergerkoffer/shared/contracts';
import type { Subscription } from '@buergerkoffer/shared/event-sourcing';
import {
  type Consumer,
  isContractViolation,
  type Relay,
  registerConsumerLagMetric,
} from '@buergerkoffer/shared/messaging';
import type { FastifyPluginAsync } from 'fastify';
import { assessmentRoutes } from './assessments/assessment.routes.ts';
import { startAssessmentQueue } from './assessments/assessment-queue.projection.ts';
import { startAssessmentRelay } from './assessments/integration/assessment.relay.ts';
import { caseEventsHandler, ELIGIBILITY_GROUP } from './assessments/integration/on-case-event.consumer.ts';
import type { EligibilityDeps } from './deps.ts';
import { ruleSetRoutes } from './rules/rule-set.routes.ts';

export { assessmentPersonalData as personalData } from './assessments/assessment.privacy.ts';
export type { EligibilityDeps } from './deps.ts';

export const name = 'eligibility';

/** The service as a fastify plugin: routes, the intake consumer, the work-queue projection and the relay. */
export const buildService =
  (deps: EligibilityDeps): FastifyPluginAsync =>
  async (app) => {
    let consumer: Consumer | undefined;
    let queue: Subscription | undefined;
    let relay: Relay | undefined;
    if (app.hasDecorator('metrics')) {
      registerConsumerLagMetric(app.metrics, deps.bus, [{ groupId: ELIGIBILITY_GROUP, topics: [INTAKE_CASE_TOPIC] }]);
    }
    app.addHook('onReady', async () => {
      queue = await startAssessmentQueue(deps);
      relay = await startAssessmentRelay(deps);
      await deps.bus.ensureTopics([{ topic: INTAKE_CASE_TOPIC }]);
      consumer = await deps.bus.subscribe(
        { groupId: ELIGIBILITY_GROUP, topics: [INTAKE_CASE_TOPIC], isPermanent: isContractViolation },
        caseEventsHandler(deps),
      );
    });
    app.addHook('onClose', async () => {
      await consumer?.stop();
      await relay?.stop();
      await queue?.stop();
    });
    await app.register(ruleSetRoutes(deps));
    await app.register(assessmentRoutes(deps));
  };
