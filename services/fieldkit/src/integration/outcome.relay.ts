/**
 * Domain → integration events of the kit's work, published on `fieldkit.outcome.v1` by the shared relay from the
 * visits' streams: what took effect (accepted at sync, or on the office's review). Visit and service events once per
 * participant case, keyed by case; a device found faulty once per device, keyed by the kit. Held records, their
 * resolutions and the office's copies of scheduling's events are not published (their effects are).
 */
import {
  FIELDKIT_OUTCOME_TOPIC,
  FIELDKIT_SOURCE,
  fieldkitOutcomeContracts,
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
import { FIELD_VISIT_CATEGORY, fieldVisitCodec } from '../visits/field-visit.events.ts';

const route = (
  stored: StoredEvent,
  subject: string,
  published: Publishable<typeof fieldkitOutcomeContracts>,
): RelayRoute => routeOf(stored, { topic: FIELDKIT_OUTCOME_TOPIC, source: FIELDKIT_SOURCE, subject }, published);

const casesOf = (stored: StoredEvent): readonly string[] =>
  stored.metadata.caseIds ?? (stored.metadata.caseId ? [stored.metadata.caseId] : []);

export function toIntegrationEvents(stored: StoredEvent): RelayRoute[] {
  const event = fieldVisitCodec.decode(stored);
  if (!event) return [];
  switch (event.type) {
    case 'FieldVisitStarted':
    case 'FieldVisitEnded': {
      const { data } = event;
      const common = {
        visitId: data.visitId,
        kitId: data.kitId,
        recordedBy: data.recordedBy,
        capturedAt: data.submission.capturedAt,
        ...(data.conflictId ? { conflictId: data.conflictId } : {}),
      };
      return casesOf(stored).map((caseId) =>
        event.type === 'FieldVisitStarted'
          ? route(stored, caseId, { type: 'fieldkit.visit.started.v1', data: { ...common, caseId } })
          : route(stored, caseId, { type: 'fieldkit.visit.completed.v1', data: { ...common, caseId } }),
      );
    }
    case 'ServiceCompleted': {
      const { data } = event;
      return [
        route(stored, data.caseId, {
          type: 'fieldkit.service.completed.v1',
          data: {
            visitId: data.visitId,
            kitId: data.kitId,
            recordedBy: data.recordedBy,
            capturedAt: data.submission.capturedAt,
            ...(data.conflictId ? { conflictId: data.conflictId } : {}),
            caseId: data.caseId,
            service: data.service,
            ...(data.producerReference ? { producerReference: data.producerReference } : {}),
            feeCents: data.feeCents,
            paymentMethod: data.paymentMethod,
          },
        }),
      ];
    }
    case 'ServiceNotCompleted': {
      const { data } = event;
      return [
        route(stored, data.caseId, {
          type: 'fieldkit.service.not-completed.v1',
          data: {
            visitId: data.visitId,
            kitId: data.kitId,
            recordedBy: data.recordedBy,
            capturedAt: data.submission.capturedAt,
            ...(data.conflictId ? { conflictId: data.conflictId } : {}),
            caseId: data.caseId,
            service: data.service,
            reason: data.reason,
          },
        }),
      ];
    }
    case 'DevicesChecked': {
      const { data } = event;
      return data.devices
        .filter((device) => device.status === 'faulty')
        .map((device) =>
          route(stored, data.kitId, {
            type: 'fieldkit.device.fault.v1',
            data: {
              visitId: data.visitId,
              kitId: data.kitId,
              recordedBy: data.recordedBy,
              capturedAt: data.submission.capturedAt,
              ...(data.conflictId ? { conflictId: data.conflictId } : {}),
              device: device.device,
              phase: data.phase,
            },
          }),
        );
    }
    case 'KitVisitAssigned':
    case 'KitVisitRescheduled':
    case 'KitVisitCancelled':
    case 'KitParticipantRemoved':
    case 'SubmissionConflictRecorded':
    case 'SubmissionConflictResolved':
      return [];
    default: {
      const _unhandled: never = event;
      return [];
    }
  }
}

export async function startOutcomeRelay(
  deps: { sealedStore: EventStore; checkpoints: CheckpointStore; bus: EventBus },
  runtime: { registry?: ProcessorRegistry | undefined; log?: ProcessorLogger | undefined } = {},
): Promise<Relay> {
  await deps.bus.ensureTopics([{ topic: FIELDKIT_OUTCOME_TOPIC }]);
  return startRelay(
    { store: deps.sealedStore, checkpoints: deps.checkpoints, bus: deps.bus },
    {
      name: 'fieldkit-outcome',
      filter: { streamCategories: [FIELD_VISIT_CATEGORY] },
      map: toIntegrationEvents,
      contracts: fieldkitOutcomeContracts,
      ...(runtime.registry ? { registry: runtime.registry } : {}),
      ...(runtime.log ? { log: runtime.log } : {}),
    },
  );
}
