import { localTimeOf } from '../time/local-time.ts';
import { allowedVisitActions, type VisitState } from './visit.decider.ts';
import type { VisitView } from './visit.schemas.ts';

/** The visit as the API shows it, the address as the reader may see it. */
export function visitViewOf(
  state: Exclude<VisitState, { status: 'none' }>,
  timeZone: string,
  address: string,
): VisitView {
  const { allocation } = state;
  return {
    visitId: state.visitId,
    status: state.status,
    kitId: allocation.kitId,
    staffIds: [...allocation.staffIds],
    date: allocation.date,
    start: allocation.start,
    end: allocation.end,
    localStart: localTimeOf(allocation.start, timeZone),
    localEnd: localTimeOf(allocation.end, timeZone),
    timeZone,
    participants: state.participants.map(({ caseId, services }) => ({ caseId, services: [...services] })),
    removedCaseIds: [...state.removed],
    place: {
      kind: state.place.kind,
      ...(state.place.institutionId ? { institutionId: state.place.institutionId } : {}),
      address,
    },
    ...(state.groupRequestId ? { groupRequestId: state.groupRequestId } : {}),
    requiredDevices: [...state.requiredDevices],
    needsRescheduling: state.flag,
    rescheduling: state.pending !== null,
    confirmedBy: state.confirmedBy,
    cancelReason: state.cancelReason,
    refusedBy: state.refusedBy,
    sequence: state.sequence,
    allowedActions: allowedVisitActions(state),
  };
}
