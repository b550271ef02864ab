/**
 * The scheduling service: plans visits — a kit whose devices cover the services, two field staff, a place, a date
 * and a window — and never double-books a kit or a person (each booking holds them on their own day calendars,
 * visit-booking.ts). Consumes intake.case.v1 and eligibility.assessment.v1 (the demand: approved cases to plan)
 * and fieldkit.outcome.v1 (a device found faulty on site takes the kit's device out of planning), publishes
 * scheduling.visit.v1. Mounted standalone at / or embedded under /scheduling.
 */
import {
  ELIGIBILITY_ASSESSMENT_TOPIC,
  FIELDKIT_OUTCOME_TOPIC,
  INTAKE_CASE_TOPIC,
  SCHEDULING_VISIT_TOPIC,
} from '@buergerkoffer/shared/contracts';
import { type BoundProjection, type Processor, startProjections } from '@buergerkoffer/shared/event-sourcing';
import {
  type Consumer,
  isContractViolation,
  type MessageHandler,
  type Relay,
  registerConsumerLagMetric,
  watchConsumer,
} from '@buergerkoffer/shared/messaging';
import { PersonalDataStore } from '@buergerkoffer/shared/privacy';
import { type BusParts, defineService, type SystemParts } from '@buergerkoffer/shared/runtime';
import type { FastifyPluginAsync } from 'fastify';
import { Counter } from 'prom-client';
import { calendarRoutes } from './calendar-files/calendar.routes.ts';
import { demandProjection } from './demand/demand.projection.ts';
import { caseEventsHandler, SCHEDULING_GROUP } from './demand/integration/on-case-event.consumer.ts';
import type { SchedulingDeps } from './deps.ts';
import { proposalRoutes } from './proposals/proposal.routes.ts';
import { type FaultOutcome, fieldkitOutcomeHandler } from './resources/integration/on-fieldkit-outcome.consumer.ts';
import { resourceProjections } from './resources/resource.projections.ts';
import { resourceRoutes } from './resources/resource.routes.ts';
import { createHolidayCalendar } from './resources/working-calendar.ts';
import { startAvailability } from './visits/availability.processor.ts';
import { startVisitRelay } from './visits/integration/visit.relay.ts';
import { visitPersonalData } from './visits/visit.privacy.ts';
import { holdsProjection, visitsProjection } from './visits/visit.projections.ts';
import { visitRoutes } from './visits/visit.routes.ts';
import { startVisitManager } from './visits/visit-manager.ts';

export type { SchedulingDeps } from './deps.ts';
export { visitPersonalData as personalData } from './visits/visit.privacy.ts';

export const name = 'scheduling';

/** One consumer group (`scheduling`) over all three: one subscription, one lag, one place that reads the bus. */
const CONSUMED = [INTAKE_CASE_TOPIC, ELIGIBILITY_ASSESSMENT_TOPIC, FIELDKIT_OUTCOME_TOPIC];

/** The service's read models (none holds anything personal: all read the store as stored). */
export const projections = (deps: Pick<SystemParts, 'store' | 'sql'>): BoundProjection[] => {
  const bound = { store: deps.store, sql: deps.sql };
  return [...resourceProjections(bound), visitsProjection(bound), holdsProjection(bound), demandProjection(bound)];
};

/**
 * The service as a fastify plugin: routes, the consumer (demand, device faults), the read models, the visit manager,
 * the availability processor and the relay.
 */
export const buildService =
  (deps: SchedulingDeps): FastifyPluginAsync =>
  async (app) => {
    const holidays = createHolidayCalendar();
    let consumer: Consumer | undefined;
    let relay: Relay | undefined;
    const running: Processor[] = [];
    const registry = app.hasDecorator('processors') ? app.processors : undefined;
    let unwatch: () => void = () => undefined;
    let counted: ((outcome: FaultOutcome) => void) | undefined;
    if (app.hasDecorator('metrics')) {
      registerConsumerLagMetric(app.metrics, deps.bus, [{ groupId: SCHEDULING_GROUP, topics: CONSUMED }]);
      const faults = new Counter({
        name: 'scheduling_fieldkit_device_faults_total',
        help: 'Device faults from fieldkit by outcome (reported, already-faulty, redelivered, or why not applied)',
        labelNames: ['outcome'] as const,
        registers: [app.metrics],
      });
      counted = (outcome) => faults.inc({ outcome });
    }
    // The demand from intake's and eligibility's topics; a kit's device faults from fieldkit's.
    const cases = caseEventsHandler({ store: deps.sealedStore, now: deps.now });
    const outcomes = fieldkitOutcomeHandler({ store: deps.sealedStore, log: app.log, counted });
    const handler: MessageHandler = (message) =>
      message.topic === FIELDKIT_OUTCOME_TOPIC ? outcomes(message) : cases(message);
    app.addHook('onReady', async () => {
      running.push(
        ...(await startProjections(projections({ store: deps.sealedStore, sql: deps.sql }), {
          log: app.log,
          registry,
        })),
      );
      const steps = { store: deps.sealedStore, sql: deps.sql, checkpoints: deps.checkpoints, now: deps.now };
      running.push(startVisitManager(steps, { log: app.log, registry }));
      running.push(startAvailability(steps, { log: app.log, registry }));
      relay = await startVisitRelay(deps, { log: app.log, registry });
      consumer = await deps.bus.subscribe(
        { groupId: SCHEDULING_GROUP, topics: CONSUMED, isPermanent: isContractViolation },
        handler,
      );
      if (registry) unwatch = watchConsumer(registry, consumer);
    });
    app.addHook('onClose', async () => {
      unwatch();
      await consumer?.stop();
      await relay?.stop();
      for (const processor of running) await processor.stop();
    });
    await app.register(resourceRoutes(deps));
    await app.register(visitRoutes({ ...deps, holidays }));
    await app.register(proposalRoutes({ ...deps, store: deps.sealedStore, holidays }));
    await app.register(calendarRoutes(deps));
  };

/** Scheduling's dependencies from the parts every composition root has. */
export function schedulingDeps(parts: BusParts): SchedulingDeps {
  const store = new PersonalDataStore(parts.store, parts.keyStore, visitPersonalData);
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
  title: 'Bürgerkoffer scheduling',
  defaultPort: 3103,
  usesBus: true,
  topics: { publishes: [SCHEDULING_VISIT_TOPIC], consumes: CONSUMED },
  deps: schedulingDeps,
  plugin: buildService,
  projections: (parts) => projections(parts),
});
