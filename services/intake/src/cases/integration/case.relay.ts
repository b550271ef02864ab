/**
 * Domain → integration events of the intake case, published on `intake.case.v1` by the shared relay from the case
 * streams (never from a request handler). The relay reads the events as stored: `mobility` stays sealed. What it
 * builds has the shape of the published contract (checked here by the compiler, by the relay before sending).
 */
import {
  INTAKE_CASE_TOPIC,
  INTAKE_SOURCE,
  intakeCaseContractsV3,
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
import { isSealed } from '@buergerkoffer/shared/privacy';
import { caseCodec } from '../case.events.ts';

/** One event on INTAKE_CASE_TOPIC, keyed by case (so a case's events stay in order on one partition). */
const route = (
  stored: StoredEvent,
  caseId: string,
  published: Publishable<typeof intakeCaseContractsV3>,
): RelayRoute[] => [routeOf(stored, { topic: INTAKE_CASE_TOPIC, source: INTAKE_SOURCE, subject: caseId }, published)];

export function toIntegrationEvents(stored: StoredEvent): RelayRoute[] {
  const event = caseCodec.sealed.decode(stored);
  switch (event?.type) {
    case 'CaseOpened': {
      const { data } = event;
      // The claims were sealed from the first event on; anything else is not published (the relay holds on it).
      if (!isSealed(data.mobility)) throw new Error(`${stored.stream}@${stored.revision}: mobility claims not sealed`);
      const { givenNames, familyName, birthDate, address } = data.applicant;
      if (!isSealed(givenNames) || !isSealed(familyName) || !isSealed(birthDate) || !isSealed(address))
        throw new Error(`${stored.stream}@${stored.revision}: the applicant's data is not sealed`);
      return route(stored, data.caseId, {
        type: 'intake.case.opened.v3',
        data: {
          // Sealed where they were stored (applicant.*), so the applicant's key opens them for fieldkit's manifest.
          applicant: { givenNames, familyName, birthDate, address },
          caseId: data.caseId,
          reference: data.reference,
          applicantSubjectId: data.applicant.subjectId,
          requestedServices: data.requestedServices,
          mobility: data.mobility,
          channel: data.channel,
          ...(data.groupRequestId ? { groupRequestId: data.groupRequestId } : {}),
          ...(data.institutionId ? { institutionId: data.institutionId } : {}),
          // Sealed since issue 13; an opening stored before holds it in clear, and it is left out then.
          ...(isSealed(data.institutionKind) ? { institutionKind: data.institutionKind } : {}),
          possibleDuplicateOf: data.possibleDuplicateOf,
          openedAt: data.openedAt,
        },
      });
    }
    case 'ServicesChanged':
      return route(stored, event.data.caseId, { type: 'intake.case.services-changed.v1', data: event.data });
    case 'EvidenceAttached': {
      const { data } = event;
      // Neither the reference nor the kind of evidence (what the applicant has) leaves the service.
      return route(stored, data.caseId, {
        type: 'intake.case.evidence-attached.v2',
        data: {
          caseId: data.caseId,
          evidenceId: data.evidenceId,
          checksum: data.checksum,
          attachedAt: data.attachedAt,
        },
      });
    }
    case 'CaseWithdrawn':
      // The reason stays inside the service (it may describe health): consumers need only that it ended.
      return route(stored, event.data.caseId, {
        type: 'intake.case.withdrawn.v2',
        data: { caseId: event.data.caseId, withdrawnAt: event.data.withdrawnAt },
      });
    case 'ContactPersonUpdated': // the contact person stays inside the service
    case undefined: // not an event of the case
      return [];
    default: {
      const _unhandled: never = event;
      return [];
    }
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
      contracts: intakeCaseContractsV3,
      ...(runtime.registry ? { registry: runtime.registry } : {}),
      ...(runtime.log ? { log: runtime.log } : {}),
    },
  );
}
