/**
 * Domain → integration events of the intake case, published on `intake.case.v1` by the shared relay from the case
 * streams (never from a request handler). The relay reads the events as stored: `mobility` stays sealed.
 */
import { INTAKE_CASE_TOPIC, INTAKE_SOURCE, type IntegrationEvent } from '@buergerkoffer/shared/contracts';
import type {
  CheckpointStore,
  EventStore,
  ProcessorLogger,
  ProcessorRegistry,
  StoredEvent,
} from '@buergerkoffer/shared/event-sourcing';
import { type EventBus, type Relay, type RelayRoute, startRelay } from '@buergerkoffer/shared/messaging';

const route = (event: StoredEvent, type: string, data: unknown): RelayRoute[] => [
  {
    topic: INTAKE_CASE_TOPIC,
    event: {
      id: event.id,
      type,
      source: INTAKE_SOURCE,
      subject: String(event.metadata.caseId),
      time: event.recordedAt.toISOString(),
      tenant: event.metadata.tenantId,
      traceparent: event.metadata.traceparent,
      data,
    } satisfies IntegrationEvent,
  },
];

type Data = Record<string, unknown> & { applicant?: { subjectId?: string } };

export function toIntegrationEvents(event: StoredEvent): RelayRoute[] {
  const data = event.data as Data;
  switch (event.type) {
    case 'CaseOpened':
      return route(event, 'intake.case.opened.v1', {
        caseId: data.caseId,
        reference: data.reference,
        applicantSubjectId: data.applicant?.subjectId,
        requestedServices: data.requestedServices,
        mobility: data.mobility,
        channel: data.channel,
        ...(data.groupRequestId ? { groupRequestId: data.groupRequestId } : {}),
        ...(data.institutionId ? { institutionId: data.institutionId } : {}),
        ...(data.institutionKind ? { institutionKind: data.institutionKind } : {}),
        possibleDuplicateOf: data.possibleDuplicateOf,
        openedAt: data.openedAt,
      });
    case 'ServicesChanged':
      return route(event, 'intake.case.services-changed.v1', data);
    case 'EvidenceAttached':
      return route(event, 'intake.case.evidence-attached.v1', {
        caseId: data.caseId,
        evidenceId: data.evidenceId,
        kind: data.kind,
        checksum: data.checksum,
        attachedAt: data.attachedAt,
      });
    case 'CaseWithdrawn':
      return route(event, 'intake.case.withdrawn.v1', data);
    default:
      return []; // the contact person stays inside the service
  }
}

export async function startCaseRelay(
  deps: {
    /** The store as stored (personal fields sealed), not the opening decorator. */
    sealedStore: EventStore;
    checkpoints: CheckpointStore;
    bus: EventBus;
  },
  runtime: { registry?: ProcessorRegistry | undefined; log?: ProcessorLogger | undefined } = {},
): Promise<Relay> {
  await deps.bus.ensureTopics([{ topic: INTAKE_CASE_TOPIC }]);
  return startRelay(
    { store: deps.sealedStore, checkpoints: deps.checkpoints, bus: deps.bus },
    {
      name: 'intake-case',
      filter: { streamCategories: ['intakeCase'] },
      map: toIntegrationEvents,
      ...(runtime.registry ? { registry: runtime.registry } : {}),
      ...(runtime.log ? { log: runtime.log } : {}),
    },
  );
}
