/**
 * Domain → integration events of the assessment, on eligibility.assessment.v1 (the `.v2` types), for scheduling to
 * act on. Read as stored; nothing personal is published — not the pre-check's input, outcome or rules, nor the
 * officers' reasons (contracts/eligibility.ts). Built in the shape of the published contract (checked by the
 * compiler here, by the relay before sending).
 */
import {
  ELIGIBILITY_ASSESSMENT_TOPIC,
  ELIGIBILITY_SOURCE,
  eligibilityAssessmentContractsV2,
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
  published: Publishable<typeof eligibilityAssessmentContractsV2>,
): RelayRoute[] => [
  routeOf(stored, { topic: ELIGIBILITY_ASSESSMENT_TOPIC, source: ELIGIBILITY_SOURCE, subject: caseId }, published),
];

export function toIntegrationEvents(stored: StoredEvent): RelayRoute[] {
  const event = assessmentCodec.sealed.decode(stored);
  switch (event?.type) {
    case 'AssessmentPrechecked': {
      const { data } = event;
      return route(stored, data.caseId, {
        type: 'eligibility.assessment.prechecked.v2',
        data: { caseId: data.caseId, ruleSetVersion: data.precheck.ruleSetVersion, checkedAt: data.checkedAt },
      });
    }
    case 'EvidenceRequested':
      return route(stored, event.data.caseId, {
        type: 'eligibility.assessment.evidence-requested.v2',
        data: { caseId: event.data.caseId, decidedAt: event.data.decidedAt },
      });
    case 'NecessityConfirmed':
      return route(stored, event.data.caseId, {
        type: 'eligibility.assessment.approved.v2',
        data: { caseId: event.data.caseId, ruleSetVersion: event.data.ruleSetVersion, decidedAt: event.data.decidedAt },
      });
    case 'CaseRejected':
      return route(stored, event.data.caseId, {
        type: 'eligibility.assessment.rejected.v2',
        data: { caseId: event.data.caseId, ruleSetVersion: event.data.ruleSetVersion, decidedAt: event.data.decidedAt },
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
      contracts: eligibilityAssessmentContractsV2,
      ...(runtime.registry ? { registry: runtime.registry } : {}),
      ...(runtime.log ? { log: runtime.log } : {}),
    },
  );
}
