/**
 * The visit manager: the process manager that follows the visits in the store (from its checkpoint) and sees each
 * booking through whatever happened to the request that began it.
 * - A booking or reschedule started and not finished (the process died between holding and planning) is finished:
 *   the same steps again, each a no-op where it was done (visit-booking.ts).
 * - What a refused booking, a refused or completed reschedule, or a cancellation no longer needs is let go.
 * - Each participant's demand follows its visit: planned, back to the plan when the visit is cancelled or the case
 *   taken off it — and a case withdrawn while its visit was being booked is taken off it once the visit is planned.
 * Every step is idempotent, so a batch handled twice (a crash before its checkpoint) changes nothing more.
 */
import {
  type CheckpointStore,
  type EventStore,
  handleCommand,
  loadStream,
  type Processor,
  type ProcessorLogger,
  type ProcessorRegistry,
  type StoredEvent,
  startProcessor,
} from '@buergerkoffer/shared/event-sourcing';
import { type DemandCommand, demandDecider, toDemandStreamName } from '../demand/demand.decider.ts';
import { CasePlannedElsewhere, DemandNotPlannable } from '../demand/demand.errors.ts';
import { demandCodec } from '../demand/demand.events.ts';
import { toVisitStreamName, visitDecider } from './visit.decider.ts';
import type { Allocation, VisitEvent } from './visit.events.ts';
import {
  decodeVisitEvent,
  onVisit,
  releaseAllocation,
  releaseClaims,
  runBooking,
  runReschedule,
  type StepContext,
} from './visit-booking.ts';

export const VISIT_MANAGER = 'scheduling:visit-manager';

export interface VisitManagerDeps {
  /** Scheduling's store as stored: no step of the manager opens anyone's address. */
  readonly store: EventStore;
  readonly checkpoints: CheckpointStore;
  readonly now: () => Date;
}

const contextOf = (stored: StoredEvent): StepContext => ({
  tenantId: stored.metadata.tenantId,
  actor: { id: 'scheduling-visit-manager', role: 'system' },
  causationId: stored.id,
  ...(stored.metadata.correlationId ? { correlationId: stored.metadata.correlationId } : {}),
});

/** The allocations a visit has tried to hold, by hold id (from its started bookings and reschedules). */
async function allocationOf(store: EventStore, visitId: string, holdId: string): Promise<Allocation | undefined> {
  for (const stored of await store.readStream(toVisitStreamName(visitId))) {
    const event = decodeVisitEvent(stored);
    if (
      (event?.type === 'VisitBookingStarted' || event?.type === 'VisitRescheduleStarted') &&
      event.data.holdId === holdId
    ) {
      const { holdId: id, kitId, staffIds, date, start, end, bufferMinutes } = event.data;
      return { holdId: id, kitId, staffIds, date, start, end, bufferMinutes };
    }
  }
  return undefined;
}

async function onDemand(
  deps: VisitManagerDeps,
  stored: StoredEvent,
  caseId: string,
  command: DemandCommand,
): Promise<void> {
  await handleCommand(
    {
      store: deps.store,
      decider: demandDecider,
      decode: demandCodec.decode,
      stream: toDemandStreamName(caseId),
      retries: 5,
    },
    command,
    // Not in the case's history: the visit's events are.
    { ...contextOf(stored), idempotencyKey: `${stored.id}:${caseId}` },
  );
}

/** What the manager does for one visit event. */
export async function manageVisit(deps: VisitManagerDeps, stored: StoredEvent, event: VisitEvent): Promise<void> {
  const context = contextOf(stored);
  const now = deps.now().toISOString();
  switch (event.type) {
    case 'VisitBookingStarted':
      await runBooking(deps, event.data.visitId, context);
      return;
    case 'VisitRescheduleStarted':
      await runReschedule(deps, event.data.visitId, event.data.holdId, context);
      return;
    case 'VisitBookingRefused': {
      const allocation = await allocationOf(deps.store, event.data.visitId, event.data.holdId);
      if (allocation) await releaseAllocation(deps.store, event.data.visitId, allocation, context, deps.now);
      const { state } = await loadStream(deps.store, visitDecider, decodeVisitEvent, stored.stream);
      if (state.status !== 'none') {
        const cases = state.participants.map((p) => p.caseId);
        await releaseClaims(deps.store, event.data.visitId, cases, context, deps.now);
      }
      return;
    }
    case 'VisitRescheduleRefused': {
      const allocation = await allocationOf(deps.store, event.data.visitId, event.data.holdId);
      if (allocation) await releaseAllocation(deps.store, event.data.visitId, allocation, context, deps.now);
      return;
    }
    case 'VisitRescheduled':
      await releaseAllocation(deps.store, event.data.visitId, event.data.previous, context, deps.now);
      return;
    case 'VisitCancelled': {
      const { state } = await loadStream(deps.store, visitDecider, decodeVisitEvent, stored.stream);
      if (state.status === 'none') return;
      await releaseAllocation(deps.store, state.visitId, state.allocation, context, deps.now);
      if (state.pending) await releaseAllocation(deps.store, state.visitId, state.pending, context, deps.now);
      for (const { caseId } of state.participants) {
        await onDemand(deps, stored, caseId, {
          type: 'ReleaseFromVisit',
          caseId,
          visitId: state.visitId,
          reason: 'visit-cancelled',
          now,
        });
      }
      return;
    }
    case 'ParticipantRemoved':
      await onDemand(deps, stored, event.data.caseId, {
        type: 'ReleaseFromVisit',
        caseId: event.data.caseId,
        visitId: event.data.visitId,
        reason: 'participant-removed',
        now,
      });
      return;
    case 'VisitPlanned': {
      // As the visit is now (a batch handled again after a crash meets a visit cancelled since, or a case taken
      // off it): only its present participants are claimed, and nothing for a visit that is over.
      const { state: visit } = await loadStream(deps.store, visitDecider, decodeVisitEvent, stored.stream);
      if (visit.status !== 'planned' && visit.status !== 'confirmed') return;
      const present = new Set(visit.participants.map((p) => p.caseId));
      for (const { caseId } of event.data.participants.filter((p) => present.has(p.caseId))) {
        const { state: demand } = await loadStream(
          deps.store,
          demandDecider,
          demandCodec.decode,
          toDemandStreamName(caseId),
        );
        if (demand.closed) {
          // Withdrawn or rejected while its visit was being booked: off the visit (the last one leaving cancels it).
          await onVisit(
            deps,
            event.data.visitId,
            {
              type: 'RemoveParticipant',
              visitId: event.data.visitId,
              caseId,
              reason: demand.closed,
              by: 'scheduling-visit-manager',
              now,
            },
            { ...context, idempotencyKey: `${stored.id}:${caseId}` },
          );
          continue;
        }
        // Claimed when the booking started (a visit booked before claims were made is marked now).
        await onDemand(deps, stored, caseId, { type: 'MarkPlanned', caseId, visitId: event.data.visitId, now }).catch(
          (error: unknown) => {
            if (!(error instanceof CasePlannedElsewhere || error instanceof DemandNotPlannable)) throw error;
          },
        );
      }
      return;
    }
    case 'VisitConfirmed':
    case 'VisitFlaggedForRescheduling':
      return;
    default: {
      const _unhandled: never = event;
      return;
    }
  }
}

export function startVisitManager(
  deps: VisitManagerDeps,
  runtime: { registry?: ProcessorRegistry | undefined; log?: ProcessorLogger | undefined } = {},
): Processor {
  return startProcessor(
    deps.store,
    {
      name: VISIT_MANAGER,
      filter: { streamCategories: ['visit'] },
      ...(runtime.registry ? { registry: runtime.registry } : {}),
      ...(runtime.log ? { log: runtime.log } : {}),
    },
    {
      resumeFrom: async () => (await deps.checkpoints.load(VISIT_MANAGER)) ?? 0,
      handle: async (batch) => {
        for (const stored of batch) {
          const event = decodeVisitEvent(stored);
          if (event) await manageVisit(deps, stored, event);
        }
        const last = batch.at(-1);
        if (last) await deps.checkpoints.store(VISIT_MANAGER, last.position);
        return undefined;
      },
    },
  );
}
