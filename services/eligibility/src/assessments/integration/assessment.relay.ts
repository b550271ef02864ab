/**
 * Domain → integration events of the assessment, on eligibility.assessment.v1, for scheduling to act on. Read as
 * stored (the pre-check's input stays sealed, and is not published); built in the shape of the published contract
 * (checked by the compiler here, by the relay before sending).
 */
import {
  ELIGIBILITY_ASSESSMENT_TOPIC,
  ELIGIBILITY_SOURCE,
  eligibilityAssessmentContracts,
  type Publishable,
} from '@buergerkoffer/shared/contracts';
import type {
  CheckpointStore,
  EventStore,
  ProcessorLogger,
  ProcessorRegistry,
  StoredEvent,
} from '@buergerkoffer/shared/event-sourcing';
import { type EventBus, type Relay, type RelayRoute, routeOf, startRelay } from '@buergerkoffer/shared/messaging';
import { assessmentCodec } from '../assessment.events.ts';

/** One event on ELIGIBILITY_ASSESSMENT_TOPIC, keyed by case (so a case's events stay in order on one partition). */
const route = (
  stored: StoredEvent,
  caseId: string,
  published: Publishable<typeof eligibilityAssessmentContracts>,
): RelayRoute[] => [
  routeOf(stored, { topic: ELIGIBILITY_ASSESSMENT_TOPIC, source: ELIGIBILITY_SOURCE, subject: caseId }, published),
];

export function toIntegrationEvents(stored: StoredEvent): RelayRoute[] {
  const event = assessmentCodec.sealed.decode(stored);
  switch (event?.type) {
    case 'AssessmentPrechecked': {
      const { data } = event;
      return route(stored, data.caseId, {
        type: 'eligibility.assessment.prechecked.v1',
        data: {
          caseId: data.caseId,
          precheck: {
            outcome: data.precheck.outcome,
            ruleSetVersion: data.precheck.ruleSetVersion,
            failedRules: data.precheck.rules.filter((r) => !r.passed).map((r) => r.rule),
          },
          checkedAt: data.checkedAt,
        },
      });
    }
    case 'EvidenceRequested':
      return route(stored, event.data.caseId, {
        type: 'eligibility.assessment.evidence-requested.v1',
        data: { caseId: event.data.caseId, missing: event.data.missing, decidedAt: event.data.decidedAt },
      });
    case 'NecessityConfirmed':
      return route(stored, event.data.caseId, {
        type: 'eligibility.assessment.approved.v1',
        data: {
          caseId: event.data.caseId,
          ruleSetVersion: event.data.ruleSetVersion,
          override: event.data.override !== undefined,
          decidedAt: event.data.decidedAt,
        },
      });
    case 'CaseRejected':
      return route(stored, event.data.caseId, {
        type: 'eligibility.assessment.rejected.v1',
        data: {
          caseId: event.data.caseId,
          ruleSetVersion: event.data.ruleSetVersion,
          reason: event.data.reason,
          decidedAt: event.data.decidedAt,
        },
      });
    case 'AssessmentReopened':
    case 'AssessmentClosed':
    case undefined:
      return [];
    default: {
      const _unhandled: never = event;
      return [];
    }
  }
}

export async function startAssessmentRelay(
  deps: {
    sealedStore: EventStore;
    checkpoints: CheckpointStore;
    bus: EventBus;
  },
  runtime: { registry?: ProcessorRegistry | undefined; log?: ProcessorLogger | undefined } = {},
): Promise<Relay> {
  await deps.bus.ensureTopics([{ topic: ELIGIBILITY_ASSESSMENT_TOPIC }]);
  return startRelay(
    { store: deps.sealedStore, checkpoints: deps.checkpoints, bus: deps.bus },
    {
      name: 'eligibility-assessment',
      filter: { streamCategories: ['eligibility'] },
      map: toIntegrationEvents,
      contracts: eligibilityAssessmentContracts,
      ...(runtime.registry ? { registry: runtime.registry } : {}),
      ...(runtime.log ? { log: runtime.log } : {}),
    },
  );
}
