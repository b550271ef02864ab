/**
 * Booking without races: a visit holds its kit and both staff members on their own day calendars (each a small
 * decider written at its expected revision, calendar.decider.ts), then is planned; when one resource is taken, the
 * visit is refused and what it held is let go. No transaction spans the streams — the store serialises each
 * calendar alone, so no two visits ever hold one kit or person at overlapping times, on every store.
 *
 * Every step is safe to repeat: a hold already held is a no-op, a released hold is never taken again, planning a
 * planned visit changes nothing. So the visit manager (visit-manager.ts) can run a booking or a reschedule again
 * after a crash, or beside the request that started it, with the same outcome.
 */
import {
  type CommandContext,
  type EventStore,
  handleCommand,
  loadStream,
  type StoredEvent,
} from '@buergerkoffer/shared/event-sourcing';
import { calendarDecider, toCalendarStreamName } from '../calendars/calendar.decider.ts';
import { HoldReleased, SlotTaken } from '../calendars/calendar.errors.ts';
import { calendarCodec, type ResourceRef, type TakenRef } from '../calendars/calendar.events.ts';
import { demandDecider, toDemandStreamName } from '../demand/demand.decider.ts';
import { CasePlannedElsewhere, DemandNotPlannable } from '../demand/demand.errors.ts';
import { demandCodec } from '../demand/demand.events.ts';
import { toVisitStreamName, type VisitState, visitDecider } from './visit.decider.ts';
import { VisitActionNotAllowed } from './visit.errors.ts';
import { type Allocation, type VisitEvent, visitCodec } from './visit.events.ts';

/** What the address reads as where the visit is decided on: the decider never needs it (nor opens it). */
export const SEALED_ADDRESS = '[sealed]';

/**
 * The visit's events as stored (sealed) — or opened, where a retry read them through the sealing store: either way
 * with the address left out, so deciding on a visit opens nobody's address. Only a read that may show the address
 * opens it (visit.reads.ts).
 */
export function decodeVisitEvent(stored: StoredEvent): VisitEvent | undefined {
  const event = visitCodec.sealed.decode(stored);
  if (event?.type !== 'VisitBookingStarted') return event;
  return { ...event, data: { ...event.data, place: { ...event.data.place, address: SEALED_ADDRESS } } };
}

/** Who runs the step: the scheduler's request, or the visit manager after the fact. */
export type StepContext = Pick<CommandContext, 'tenantId' | 'actor' | 'correlationId' | 'causationId'>;

/** Concurrent bookings of one resource's day retry on the store's conflict: each retry decides on what won. */
const CALENDAR_RETRIES = 50;

export const resourcesOf = (allocation: Pick<Allocation, 'kitId' | 'staffIds'>): ResourceRef[] => [
  { kind: 'kit', id: allocation.kitId },
  // Always in one order, so two bookings of the same pair meet at the same first calendar.
  ...[...allocation.staffIds].sort().map((id): ResourceRef => ({ kind: 'staff', id })),
];

export type HoldOutcome = { readonly held: true } | { readonly held: false; readonly resource: TakenRef };

async function onCalendar(
  store: EventStore,
  resource: ResourceRef,
  date: string,
  command: Parameters<typeof calendarDecider.decide>[0],
  context: StepContext,
): Promise<void> {
  await handleCommand(
    {
      store,
      decider: calendarDecider,
      decode: calendarCodec.decode,
      stream: toCalendarStreamName(resource, date),
      retries: CALENDAR_RETRIES,
    },
    command,
    context,
  );
}

/** Holds the allocation's kit and staff one by one; stops at the first that is taken (or let go already). */
export async function holdAllocation(
  store: EventStore,
  visitId: string,
  allocation: Allocation,
  context: StepContext,
  now: () => Date,
): Promise<HoldOutcome> {
  for (const resource of resourcesOf(allocation)) {
    try {
      await onCalendar(
        store,
        resource,
        allocation.date,
        {
          type: 'Reserve',
          resource,
          date: allocation.date,
          holdId: allocation.holdId,
          visitId,
          start: allocation.start,
          end: allocation.end,
          bufferMinutes: allocation.bufferMinutes,
          now: now().toISOString(),
        },
        context,
      );
    } catch (error) {
      if (error instanceof SlotTaken || error instanceof HoldReleased) return { held: false, resource };
      throw error;
    }
  }
  return { held: true };
}

/** Lets every resource of the allocation go (a hold never taken is marked released, so it is never taken later). */
export async function releaseAllocation(
  store: EventStore,
  visitId: string,
  allocation: Pick<Allocation, 'holdId' | 'kitId' | 'staffIds' | 'date'>,
  context: StepContext,
  now: () => Date,
): Promise<void> {
  for (const resource of resourcesOf(allocation)) {
    await onCalendar(
      store,
      resource,
      allocation.date,
      {
        type: 'Release',
        resource,
        date: allocation.date,
        holdId: allocation.holdId,
        visitId,
        now: now().toISOString(),
      },
      context,
    );
  }
}

export type ClaimOutcome = { readonly claimed: true } | { readonly claimed: false; readonly resource: TakenRef };

const onDemand = (
  store: EventStore,
  caseId: string,
  command: Parameters<typeof demandDecider.decide>[0],
  context: StepContext,
) =>
  handleCommand(
    {
      store,
      decider: demandDecider,
      decode: demandCodec.decode,
      stream: toDemandStreamName(caseId),
      retries: CALENDAR_RETRIES,
    },
    command,
    // Scheduling's own bookkeeping, kept out of the case's history (the visit's events are in it).
    context,
  );

/**
 * Claims each participant's demand for the visit, like a calendar hold: a case on another visit (or no longer to be
 * planned) refuses the booking, so no case is ever on two visits at once.
 */
export async function claimCases(
  store: EventStore,
  visitId: string,
  caseIds: readonly string[],
  context: StepContext,
  now: () => Date,
): Promise<ClaimOutcome> {
  for (const caseId of [...caseIds].sort()) {
    try {
      await onDemand(store, caseId, { type: 'MarkPlanned', caseId, visitId, now: now().toISOString() }, context);
    } catch (error) {
      if (error instanceof CasePlannedElsewhere || error instanceof DemandNotPlannable)
        return { claimed: false, resource: { kind: 'case', id: caseId } };
      throw error;
    }
  }
  return { claimed: true };
}

/** Gives the cases a refused booking claimed back to the plan (a case it never claimed is left as it is). */
export async function releaseClaims(
  store: EventStore,
  visitId: string,
  caseIds: readonly string[],
  context: StepContext,
  now: () => Date,
): Promise<void> {
  for (const caseId of caseIds) {
    await onDemand(
      store,
      caseId,
      { type: 'ReleaseFromVisit', caseId, visitId, reason: 'booking-refused', now: now().toISOString() },
      context,
    );
  }
}

export interface VisitSteps {
  /** The store as stored: no step after the booking's start writes or reads anything personal. */
  readonly store: EventStore;
  readonly now: () => Date;
}

/** The cases the visit serves now (a removed case's history ends with its removal, which names it). */
const caseIdsOf = (state: VisitState): string[] =>
  state.status === 'none' ? [] : state.participants.map((p) => p.caseId);

/** One step on the visit stream, its events naming the visit's cases (their histories show it). */
export async function onVisit(
  deps: VisitSteps,
  visitId: string,
  command: Parameters<typeof visitDecider.decide>[0],
  context: StepContext & Pick<CommandContext, 'idempotencyKey' | 'expectedRevision'>,
  caseIds?: readonly string[],
) {
  const stream = toVisitStreamName(visitId);
  const loaded = await loadStream(deps.store, visitDecider, decodeVisitEvent, stream);
  const named = caseIds ?? caseIdsOf(loaded.state);
  return handleCommand(
    {
      store: deps.store,
      decider: visitDecider,
      decode: decodeVisitEvent,
      stream,
      loaded,
      retries: context.expectedRevision === undefined ? 5 : 0,
    },
    command,
    { ...context, ...(named.length > 0 ? { caseIds: named } : {}) },
  );
}

export type BookingOutcome =
  | { readonly status: 'planned'; readonly state: VisitState }
  | { readonly status: 'refused'; readonly resource: TakenRef | null; readonly state: VisitState };

/** Carries a started booking through: hold everything, then plan — or refuse, naming the resource, and let go. */
export async function runBooking(deps: VisitSteps, visitId: string, context: StepContext): Promise<BookingOutcome> {
  const { state } = await loadStream(deps.store, visitDecider, decodeVisitEvent, toVisitStreamName(visitId));
  if (state.status === 'none') throw new Error(`visit ${visitId} has no booking`);
  if (state.status !== 'booking') return outcomeOf(state);
  const { allocation } = state;
  const cases = state.participants.map((p) => p.caseId);
  const claim = await claimCases(deps.store, visitId, cases, context, deps.now);
  const held: HoldOutcome = claim.claimed
    ? await holdAllocation(deps.store, visitId, allocation, context, deps.now)
    : { held: false, resource: claim.resource };
  const now = deps.now().toISOString();
  const after = await settled(deps, visitId, () =>
    held.held
      ? onVisit(deps, visitId, { type: 'CompleteBooking', visitId, holdId: allocation.holdId, now }, context)
      : onVisit(
          deps,
          visitId,
          { type: 'RefuseBooking', visitId, holdId: allocation.holdId, resource: held.resource, now },
          context,
        ),
  );
  if (after.status !== 'none' && after.status !== 'planned' && after.status !== 'confirmed') {
    // Refused (here or by a run beside this one): nothing of it stays held, its cases go back to the plan.
    await releaseAllocation(deps.store, visitId, allocation, context, deps.now);
    await releaseClaims(deps.store, visitId, cases, context, deps.now);
  }
  return outcomeOf(after);
}

/** The visit after a step, or as it is when the step no longer applies (another run or a cancellation came first). */
async function settled(
  deps: VisitSteps,
  visitId: string,
  step: () => Promise<{ readonly state: VisitState }>,
): Promise<VisitState> {
  try {
    return (await step()).state;
  } catch (error) {
    if (!(error instanceof VisitActionNotAllowed)) throw error;
    return (await loadStream(deps.store, visitDecider, decodeVisitEvent, toVisitStreamName(visitId))).state;
  }
}

function outcomeOf(state: VisitState): BookingOutcome {
  if (state.status === 'planned' || state.status === 'confirmed') return { status: 'planned', state };
  return { status: 'refused', resource: state.status === 'none' ? null : state.refusedBy, state };
}

export type RescheduleOutcome =
  | { readonly status: 'rescheduled'; readonly state: VisitState }
  | { readonly status: 'refused'; readonly resource: TakenRef | null; readonly state: VisitState };

/** Carries a started reschedule through: hold the new allocation, move the visit, let the old one go. */
export async function runReschedule(
  deps: VisitSteps,
  visitId: string,
  holdId: string,
  context: StepContext,
): Promise<RescheduleOutcome> {
  const { state } = await loadStream(deps.store, visitDecider, decodeVisitEvent, toVisitStreamName(visitId));
  if (state.status === 'none') throw new Error(`visit ${visitId} does not exist`);
  if (state.allocation.holdId === holdId) return { status: 'rescheduled', state };
  const pending = state.pending;
  if (!pending || pending.holdId !== holdId) return { status: 'refused', resource: null, state };
  if (state.status === 'cancelled') {
    // Cancelled while the reschedule was being booked: nothing of it is held any longer.
    await releaseAllocation(deps.store, visitId, pending, context, deps.now);
    return { status: 'refused', resource: null, state };
  }
  const previous = state.allocation;
  const held = await holdAllocation(deps.store, visitId, pending, context, deps.now);
  const now = deps.now().toISOString();
  if (!held.held) {
    const refused = await settled(deps, visitId, () =>
      onVisit(deps, visitId, { type: 'RefuseReschedule', visitId, holdId, resource: held.resource, now }, context),
    );
    // Another run may have completed this very reschedule meanwhile: then the visit holds `pending` now, and it
    // stays held.
    if (refused.status !== 'none' && refused.status !== 'cancelled' && refused.allocation.holdId === holdId)
      return { status: 'rescheduled', state: refused };
    await releaseAllocation(deps.store, visitId, pending, context, deps.now);
    return { status: 'refused', resource: held.resource, state: refused };
  }
  const after = await settled(deps, visitId, () =>
    onVisit(deps, visitId, { type: 'CompleteReschedule', visitId, holdId, now }, context),
  );
  if (after.status !== 'none' && after.status !== 'cancelled' && after.allocation.holdId === holdId) {
    await releaseAllocation(deps.store, visitId, previous, context, deps.now);
    return { status: 'rescheduled', state: after };
  }
  // Cancelled meanwhile: the new hold goes too.
  await releaseAllocation(deps.store, visitId, pending, context, deps.now);
  return { status: 'refused', resource: null, state: after };
}
