/**
 * Domain → integration events of the visit, on scheduling.visit.v1: one per participant case, keyed by case. Read as
 * stored; nothing personal is published (not the place). The bookings' inner steps (started, refused) stay inside.
 */
import {
  type Publishable,
  SCHEDULING_SOURCE,
  SCHEDULING_VISIT_TOPIC,
  schedulingVisitContracts,
} from '@buergerkoffer/shared/contracts';
import type {
  CheckpointStore,
  EventStore,
  ProcessorLogger,
  ProcessorRegistry,
  StoredEvent,
} from '@buergerkoffer/shared/event-sourcing';
import { type EventBus, type Relay, type RelayRoute, routeOf, startRelay } from '@buergerkoffer/shared/messaging';
import { visitCodec } from '../visit.events.ts';

const route = (
  stored: StoredEvent,
  caseId: string,
  published: Publishable<typeof schedulingVisitContracts>,
): RelayRoute =>
  routeOf(stored, { topic: SCHEDULING_VISIT_TOPIC, source: SCHEDULING_SOURCE, subject: caseId }, published);

/** The cases the event names (the visit's participants when it was written). */
const casesOf = (stored: StoredEvent): readonly string[] => stored.metadata.caseIds ?? [];

export function toIntegrationEvents(stored: StoredEvent): RelayRoute[] {
  const event = visitCodec.sealed.decode(stored);
  switch (event?.type) {
    case 'VisitPlanned': {
      const { data } = event;
      const groupVisit = data.participants.length > 1;
      return data.participants.map((p) =>
        route(stored, p.caseId, {
          type: 'scheduling.visit.planned.v1',
          data: {
            visitId: data.visitId,
            caseId: p.caseId,
            kitId: data.kitId,
            staffIds: [...data.staffIds],
            start: data.start,
            end: data.end,
            services: [...p.services],
            groupVisit,
            plannedAt: data.plannedAt,
          },
        }),
      );
    }
    case 'VisitConfirmed':
      return casesOf(stored).map((caseId) =>
        route(stored, caseId, {
          type: 'scheduling.visit.confirmed.v1',
          data: {
            visitId: event.data.visitId,
            caseId,
            confirmedBy: event.data.confirmedBy,
            confirmedAt: event.data.confirmedAt,
          },
        }),
      );
    case 'VisitRescheduled': {
      const { data } = event;
      return casesOf(stored).map((caseId) =>
        route(stored, caseId, {
          type: 'scheduling.visit.rescheduled.v1',
          data: {
            visitId: data.visitId,
            caseId,
            kitId: data.kitId,
            staffIds: [...data.staffIds],
            start: data.start,
            end: data.end,
            rescheduledAt: data.rescheduledAt,
          },
        }),
      );
    }
    case 'VisitCancelled':
      return casesOf(stored).map((caseId) =>
        route(stored, caseId, {
          type: 'scheduling.visit.cancelled.v1',
          data: { visitId: event.data.visitId, caseId, reason: event.data.reason, cancelledAt: event.data.cancelledAt },
        }),
      );
    case 'ParticipantRemoved':
      return [
        route(stored, event.data.caseId, {
          type: 'scheduling.visit.participant-removed.v1',
          data: {
            visitId: event.data.visitId,
            caseId: event.data.caseId,
            reason: event.data.reason,
            removedAt: event.data.removedAt,
          },
        }),
      ];
    case 'VisitFlaggedForRescheduling':
      return casesOf(stored).map((caseId) =>
        route(stored, caseId, {
          type: 'scheduling.visit.needs-rescheduling.v1',
          data: { visitId: event.data.visitId, caseId, reason: event.data.reason, flaggedAt: event.data.flaggedAt },
        }),
      );
    case 'VisitBookingStarted':
    case 'VisitBookingRefused':
    case 'VisitRescheduleStarted':
    case 'VisitRescheduleRefused':
    case undefined:
      return [];
    default: {
      const _unhandled: never = event;
      return [];
    }
  }
}

export async function startVisitRelay(
  deps: { sealedStore: EventStore; checkpoints: CheckpointStore; bus: EventBus },
  runtime: { registry?: ProcessorRegistry | undefined; log?: ProcessorLogger | undefined } = {},
): Promise<Relay> {
  await deps.bus.ensureTopics([{ topic: SCHEDULING_VISIT_TOPIC }]);
  return startRelay(
    { store: deps.sealedStore, checkpoints: deps.checkpoints, bus: deps.bus },
    {
      name: 'scheduling-visit',
      filter: { streamCategories: ['visit'] },
      map: toIntegrationEvents,
      contracts: schedulingVisitContracts,
      ...(runtime.registry ? { registry: runtime.registry } : {}),
      ...(runtime.log ? { log: runtime.log } : {}),
    },
  );
}
