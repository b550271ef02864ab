/** Domain → integration events of the assessment, on eligibility.assessment.v1, for scheduling to act on. */
import { ELIGIBILITY_ASSESSMENT_TOPIC, ELIGIBILITY_SOURCE } from '@buergerkoffer/shared/contracts';
import type {
  CheckpointStore,
  EventStore,
  ProcessorLogger,
  ProcessorRegistry,
  StoredEvent,
} from '@buergerkoffer/shared/event-sourcing';
import { type EventBus, type Relay, type RelayRoute, startRelay } from '@buergerkoffer/shared/messaging';

type Data = {
  caseId: string;
  precheck?: { outcome: string; ruleSetVersion: number; rules: { rule: string; passed: boolean }[] };
  checkedAt?: string;
  missing?: string;
  reason?: string;
  override?: string;
  decidedAt?: string;
  ruleSetVersion?: number;
};

export function toIntegrationEvents(event: StoredEvent): RelayRoute[] {
  const data = event.data as Data;
  const route = (type: string, payload: unknown): RelayRoute[] => [
    {
      topic: ELIGIBILITY_ASSESSMENT_TOPIC,
      event: {
        id: event.id,
        type,
        source: ELIGIBILITY_SOURCE,
        subject: data.caseId,
        time: event.recordedAt.toISOString(),
        tenant: event.metadata.tenantId,
        traceparent: event.metadata.traceparent,
        data: payload,
      },
    },
  ];
  switch (event.type) {
    case 'AssessmentPrechecked':
      return route('eligibility.assessment.prechecked.v1', {
        caseId: data.caseId,
        precheck: {
          outcome: data.precheck?.outcome,
          ruleSetVersion: data.precheck?.ruleSetVersion,
          failedRules: (data.precheck?.rules ?? []).filter((r) => !r.passed).map((r) => r.rule),
        },
        checkedAt: data.checkedAt,
      });
    case 'EvidenceRequested':
      return route('eligibility.assessment.evidence-requested.v1', {
        caseId: data.caseId,
        missing: data.missing,
        decidedAt: data.decidedAt,
      });
    case 'NecessityConfirmed':
      return route('eligibility.assessment.approved.v1', {
        caseId: data.caseId,
        ruleSetVersion: data.ruleSetVersion ?? 0,
        override: data.override !== undefined,
        decidedAt: data.decidedAt,
      });
    case 'CaseRejected':
      return route('eligibility.assessment.rejected.v1', {
        caseId: data.caseId,
        ruleSetVersion: data.ruleSetVersion ?? 0,
        reason: data.reason,
        decidedAt: data.decidedAt,
      });
    default:
      return [];
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
      ...(runtime.registry ? { registry: runtime.registry } : {}),
      ...(runtime.log ? { log: runtime.log } : {}),
    },
  );
}
