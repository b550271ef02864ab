/**
 * The case as it stood at a point in its history, folded from the history itself (not from any service's
 * projection): time travel for auditors. A pure fold over stored events of every service; it reads the fields the
 * audit contracts name (packages/shared/src/contracts/audit.ts: what each service's events must carry for it) and
 * tolerates events it does not know (later services', newer schema versions, or not carrying those fields), which
 * it counts. It folds the events as the caller may see them, so what of the state is personal (the pre-check's rules
 * and outcome, reasons, a visit's address) reads as in the history: opened, "[withheld]" or "[erased]". Beside the
 * case's own events and its visits (scheduling) it folds the kit's work on them (fieldkit: started and ended, device
 * checks, each service's outcome, conflicts and their resolution) as `fieldwork`. Time travel folds the events up to
 * a global position or a time the store recorded them, so the fieldwork shows what the office had received by then
 * (a record the kit captured earlier but synced later is not in it yet).
 */
import { type AuditEvent, auditEvent } from '@buergerkoffer/shared/contracts';
import { EventDecodingError, eventCodec, type StoredEvent } from '@buergerkoffer/shared/event-sourcing';
import { CASE_RECORD_ACCESSED } from '@buergerkoffer/shared/privacy';
import { serviceOf } from './services.ts';

export type CaseStatus =
  | 'received'
  | 'awaiting-decision'
  | 'evidence-requested'
  | 'approved'
  | 'rejected'
  | 'closed'
  | 'withdrawn';

export interface Decision {
  readonly outcome: 'approved' | 'rejected' | 'evidence-requested' | 'reopened' | 'closed';
  readonly by: string | null;
  readonly at: string;
  readonly reason: string | null;
  readonly override: string | null;
  readonly ruleSetVersion: number | null;
  readonly position: number;
}

export const VISIT_STATUSES = ['booking', 'planned', 'confirmed', 'refused', 'cancelled', 'removed'] as const;
/** Where a visit stands for this case: being booked, planned, confirmed — or refused (the booking), cancelled (the
 *  visit), removed (this case from the visit, which may go on for the others). */
export type VisitStatus = (typeof VISIT_STATUSES)[number];

/** A kit, two staff and a time: what a visit holds. */
export interface VisitSlot {
  readonly kitId: string;
  readonly staffIds: readonly string[];
  /** The local date of the visit in the tenant's zone. */
  readonly date: string;
  readonly start: string;
  readonly end: string;
}

/** A visit the case took part in, as its events (scheduling's `visit-<visitId>`) tell it. */
export interface CaseVisit extends VisitSlot {
  readonly visitId: string;
  readonly status: VisitStatus;
  /** This case's services on the visit. */
  readonly services: readonly string[];
  /** Where: the kind of place and its address ("[withheld]" or "[erased]" where the caller may not see it). */
  readonly place: { readonly kind: string; readonly address: string | null } | null;
  readonly requestedBy: string | null;
  readonly requestedAt: string;
  /** A new slot being booked (the visit keeps its slot until it is rescheduled). */
  readonly pendingReschedule: VisitSlot | null;
  /** Why the visit must be moved (a faulty device, an absent member of staff) until it is rescheduled. */
  readonly needsRescheduling: string | null;
  readonly confirmedBy: string | null;
  readonly confirmedAt: string | null;
  readonly cancelReason: string | null;
  readonly removalReason: string | null;
  /** The time and global position of the last event about the visit folded in. */
  readonly changedAt: string;
  readonly position: number;
}

/** What the kit recorded of one of this case's services on a visit: its latest outcome. */
export interface FieldServiceOutcome {
  readonly service: string;
  readonly outcome: 'completed' | 'not-completed';
  /** Completed: the fee (cents) and how it was paid. */
  readonly feeCents: number | null;
  readonly paymentMethod: string | null;
  /** Completed: whether the producing authority returned a reference (e.g. the ID application number), and it. */
  readonly hasProducerReference: boolean;
  readonly producerReference: string | null;
  /** Not completed: the reason code (no free text). */
  readonly reason: string | null;
  readonly recordedBy: string | null;
  /** When the kit captured it (the kit's clock). */
  readonly capturedAt: string;
  /** The conflict it took effect with or through, if any. */
  readonly conflictId: string | null;
  readonly position: number;
}

export const FIELD_CONFLICT_STATUSES = ['open', 'resolved'] as const;

/** A record of the kit's made on a stale manifest, kept for the office's review (fieldkit's conflicts). */
export interface FieldConflict {
  readonly conflictId: string;
  /** Soft (the record took effect, other fields had changed) or hard (held: the same fields had changed). */
  readonly severity: string;
  /** What the office had changed that the record touches (hard), or at all (soft). */
  readonly fields: readonly string[];
  readonly status: (typeof FIELD_CONFLICT_STATUSES)[number];
  readonly recordedAt: string;
  /** How the office resolved it: accept-kit, keep-office, merge. */
  readonly resolution: string | null;
  readonly resolvedBy: string | null;
  readonly resolvedAt: string | null;
  readonly position: number;
}

/** The kit's check of its devices before (start) or after (end) the visit. */
export interface FieldDeviceCheck {
  readonly phase: string;
  /** The devices found faulty (none: all worked). */
  readonly faulty: readonly string[];
  readonly capturedAt: string;
  readonly position: number;
}

/** The kit's work on a visit the case took part in, as the kit's records (fieldkit's `fieldVisit-<visitId>`) tell it. */
export interface CaseFieldwork {
  readonly visitId: string;
  readonly kitId: string;
  /** When the kit recorded the visit started and ended (the kit's clock). */
  readonly startedAt: string | null;
  readonly endedAt: string | null;
  readonly deviceChecks: readonly FieldDeviceCheck[];
  /** This case's services, each with its latest outcome, in the order first recorded. */
  readonly services: readonly FieldServiceOutcome[];
  readonly conflicts: readonly FieldConflict[];
  /** The time and global position of the last event about the visit's fieldwork folded in. */
  readonly changedAt: string;
  readonly position: number;
}

export interface CaseState {
  readonly caseId: string;
  readonly status: CaseStatus;
  readonly reference: string | null;
  readonly channel: string | null;
  readonly openedAt: string | null;
  readonly requestedServices: readonly string[];
  readonly evidence: readonly { readonly evidenceId: string; readonly kind: string; readonly attachedAt: string }[];
  readonly intake: { readonly status: 'none' | 'open' | 'withdrawn'; readonly withdrawnAt: string | null };
  readonly eligibility: {
    readonly status: 'none' | 'awaiting-decision' | 'evidence-requested' | 'approved' | 'rejected' | 'closed';
    readonly precheckOutcome: string | null;
    readonly ruleSetVersion: number | null;
    /** Each rule's result, or a marker ("[withheld]", "[erased]") where the caller may not see them. */
    readonly rules:
      | readonly { readonly rule: string; readonly passed: boolean | string; readonly detail: string }[]
      | string;
    readonly checkedAt: string | null;
  };
  readonly decisions: readonly Decision[];
  /** Every visit the case was booked on, in the order their bookings started (a refused or cancelled visit, or one
   *  the case was removed from, stays: the case may be booked again on another). */
  readonly visits: readonly CaseVisit[];
  /** What the kit recorded on each visit of the case, in the order first recorded (fieldkit's records). */
  readonly fieldwork: readonly CaseFieldwork[];
  /** The last event folded in. */
  readonly position: number;
  readonly recordedAt: string | null;
  readonly events: number;
  readonly accesses: number;
  /** Events of types this fold does not interpret, by service (they are in the history all the same). */
  readonly uninterpreted: Readonly<Record<string, number>>;
}

export const initialCaseState = (caseId: string): CaseState => ({
  caseId,
  status: 'received',
  reference: null,
  channel: null,
  openedAt: null,
  requestedServices: [],
  evidence: [],
  intake: { status: 'none', withdrawnAt: null },
  eligibility: { status: 'none', precheckOutcome: null, ruleSetVersion: null, rules: [], checkedAt: null },
  decisions: [],
  visits: [],
  fieldwork: [],
  position: 0,
  recordedAt: null,
  events: 0,
  accesses: 0,
  uninterpreted: {},
});

/** Every service's events as casefile reads them; schemas as stored (one version each). */
const auditCodec = eventCodec(auditEvent);

/** The event as the audit contracts read it; undefined when the fold cannot interpret it (counted instead). */
function interpret(event: StoredEvent): AuditEvent | undefined {
  try {
    return auditCodec.decode(event);
  } catch (error) {
    if (error instanceof EventDecodingError) return undefined;
    throw error;
  }
}

/** What a decision says, as its event's data names it. */
interface Decided {
  readonly decidedBy?: string | undefined;
  readonly decidedAt?: string | undefined;
  readonly reason?: string | undefined;
  readonly override?: string | undefined;
  readonly ruleSetVersion?: number | undefined;
}

/** Who decided when and why: only these fields of a decision's (loose) data. */
const decidedIn = (data: { decidedBy?: string; decidedAt?: string; reason?: string }): Decided => ({
  decidedBy: data.decidedBy,
  decidedAt: data.decidedAt,
  reason: data.reason,
});

const decision = (outcome: Decision['outcome'], decided: Decided, event: StoredEvent): Decision => ({
  outcome,
  by: decided.decidedBy ?? null,
  at: decided.decidedAt ?? event.recordedAt.toISOString(),
  reason: decided.reason ?? null,
  override: decided.override ?? null,
  ruleSetVersion: decided.ruleSetVersion ?? null,
  position: event.position,
});

type AuditedVisitEvent = Extract<AuditEvent, { type: `Visit${string}` | 'ParticipantRemoved' }>;

const slotOf = (data: VisitSlot): VisitSlot => ({
  kitId: data.kitId,
  staffIds: data.staffIds,
  date: data.date,
  start: data.start,
  end: data.end,
});

/**
 * The case's visits after a visit event; undefined when the event is about a visit whose booking the fold has not
 * seen (it cannot tell what it changes: counted as uninterpreted). It reads the events as scheduling's visit decider
 * evolves them (services/scheduling/src/visits/visit.decider.ts) and checks no transitions (the decider does): a
 * reschedule returns a confirmed visit to planned (the new time needs agreeing again) and clears its flag. Once the
 * case is removed from a visit, the visit's later events (which still name the case) leave its part as it was.
 */
function evolveVisits(
  caseId: string,
  visits: readonly CaseVisit[],
  audited: AuditedVisitEvent,
  event: StoredEvent,
): readonly CaseVisit[] | undefined {
  const at = (time: string | undefined) => time ?? event.recordedAt.toISOString();
  if (audited.type === 'VisitBookingStarted') {
    const { data } = audited;
    const booked: CaseVisit = {
      visitId: data.visitId,
      status: 'booking',
      ...slotOf(data),
      services: data.participants?.find((participant) => participant.caseId === caseId)?.services ?? [],
      place: data.place ? { kind: data.place.kind, address: data.place.address ?? null } : null,
      requestedBy: data.requestedBy ?? null,
      requestedAt: at(data.requestedAt),
      pendingReschedule: null,
      needsRescheduling: null,
      confirmedBy: null,
      confirmedAt: null,
      cancelReason: null,
      removalReason: null,
      changedAt: at(data.requestedAt),
      position: event.position,
    };
    return [...visits.filter((visit) => visit.visitId !== data.visitId), booked];
  }
  const visit = visits.find((candidate) => candidate.visitId === audited.data.visitId);
  if (!visit) return undefined;
  if (visit.status === 'removed') return visits;
  const changed = (time: string | undefined, change: Partial<CaseVisit>): readonly CaseVisit[] =>
    visits.map((candidate) =>
      candidate === visit ? { ...visit, ...change, changedAt: at(time), position: event.position } : candidate,
    );
  switch (audited.type) {
    case 'VisitPlanned':
      return changed(audited.data.plannedAt, { status: 'planned', ...slotOf(audited.data) });
    case 'VisitBookingRefused':
      return changed(audited.data.refusedAt, { status: 'refused' });
    case 'VisitRescheduleStarted':
      return changed(audited.data.requestedAt, { pendingReschedule: slotOf(audited.data) });
    case 'VisitRescheduled':
      return changed(audited.data.rescheduledAt, {
        status: 'planned',
        ...slotOf(audited.data),
        pendingReschedule: null,
        needsRescheduling: null,
        confirmedBy: null,
        confirmedAt: null,
      });
    case 'VisitRescheduleRefused':
      return changed(audited.data.refusedAt, { pendingReschedule: null });
    case 'VisitConfirmed': {
      const { data } = audited;
      return changed(data.confirmedAt, {
        status: 'confirmed',
        confirmedBy: data.confirmedBy,
        confirmedAt: at(data.confirmedAt),
      });
    }
    case 'VisitCancelled':
      return changed(audited.data.cancelledAt, { status: 'cancelled', cancelReason: audited.data.reason });
    case 'ParticipantRemoved': {
      const { data } = audited;
      // Another participant's removal leaves this case's part as it was.
      return changed(data.removedAt, data.caseId === caseId ? { status: 'removed', removalReason: data.reason } : {});
    }
    case 'VisitFlaggedForRescheduling':
      return changed(audited.data.flaggedAt, { needsRescheduling: audited.data.reason });
    default: {
      const _unhandled: never = audited;
      return visits;
    }
  }
}

type AuditedFieldEvent = Extract<
  AuditEvent,
  {
    type:
      | 'FieldVisitStarted'
      | 'FieldVisitEnded'
      | 'DevicesChecked'
      | 'ServiceCompleted'
      | 'ServiceNotCompleted'
      | 'SubmissionConflictRecorded'
      | 'SubmissionConflictResolved';
  }
>;

/**
 * The case's fieldwork after one of the kit's records; undefined when the event cannot be placed (a resolution of a
 * conflict the fold has not seen recorded: counted as uninterpreted). It reads the events as fieldkit's visit decider
 * records them (services/fieldkit/src/visits/field-visit.decider.ts) and checks nothing (the decider does): a visit's
 * fieldwork begins with whichever record of it comes first (a held conflict may precede any record taking effect), a
 * service recorded again keeps its place and takes the later outcome, and a record or conflict about another
 * participant (which should not name this case) leaves this case's part as it was.
 */
function evolveFieldwork(
  caseId: string,
  fieldwork: readonly CaseFieldwork[],
  audited: AuditedFieldEvent,
  event: StoredEvent,
): readonly CaseFieldwork[] | undefined {
  const recordedAt = event.recordedAt.toISOString();
  const found = fieldwork.find((candidate) => candidate.visitId === audited.data.visitId);
  if (audited.type === 'SubmissionConflictResolved') {
    const { data } = audited;
    const conflict = found?.conflicts.find((c) => c.conflictId === data.conflictId);
    if (!found || !conflict) return undefined;
    const resolved: FieldConflict = {
      ...conflict,
      status: 'resolved',
      resolution: data.resolution,
      resolvedBy: data.resolvedBy?.id ?? null,
      resolvedAt: data.resolvedAt ?? recordedAt,
      position: event.position,
    };
    const conflicts = found.conflicts.map((c) => (c === conflict ? resolved : c));
    return fieldwork.map((candidate) =>
      candidate === found ? { ...found, conflicts, changedAt: recordedAt, position: event.position } : candidate,
    );
  }
  const visit: CaseFieldwork = found ?? {
    visitId: audited.data.visitId,
    kitId: audited.data.kitId,
    startedAt: null,
    endedAt: null,
    deviceChecks: [],
    services: [],
    conflicts: [],
    changedAt: recordedAt,
    position: event.position,
  };
  const changed = (change: Partial<CaseFieldwork>): readonly CaseFieldwork[] => {
    const next = { ...visit, ...change, changedAt: recordedAt, position: event.position };
    return found ? fieldwork.map((candidate) => (candidate === found ? next : candidate)) : [...fieldwork, next];
  };
  const outcome = (recorded: FieldServiceOutcome): readonly CaseFieldwork[] =>
    changed({
      services: visit.services.some((s) => s.service === recorded.service)
        ? visit.services.map((s) => (s.service === recorded.service ? recorded : s))
        : [...visit.services, recorded],
    });
  switch (audited.type) {
    case 'FieldVisitStarted':
      return changed({ startedAt: audited.data.submission.capturedAt });
    case 'FieldVisitEnded':
      return changed({ endedAt: audited.data.submission.capturedAt });
    case 'DevicesChecked': {
      const { data } = audited;
      const check: FieldDeviceCheck = {
        phase: data.phase,
        faulty: data.devices.filter((d) => d.status === 'faulty').map((d) => d.device),
        capturedAt: data.submission.capturedAt,
        position: event.position,
      };
      return changed({ deviceChecks: [...visit.deviceChecks, check] });
    }
    case 'ServiceCompleted': {
      const { data } = audited;
      if (data.caseId !== caseId) return fieldwork;
      return outcome({
        service: data.service,
        outcome: 'completed',
        feeCents: data.feeCents,
        paymentMethod: data.paymentMethod,
        hasProducerReference: data.producerReference !== undefined,
        producerReference: data.producerReference ?? null,
        reason: null,
        recordedBy: data.recordedBy ?? null,
        capturedAt: data.submission.capturedAt,
        conflictId: data.conflictId ?? null,
        position: event.position,
      });
    }
    case 'ServiceNotCompleted': {
      const { data } = audited;
      if (data.caseId !== caseId) return fieldwork;
      return outcome({
        service: data.service,
        outcome: 'not-completed',
        feeCents: null,
        paymentMethod: null,
        hasProducerReference: false,
        producerReference: null,
        reason: data.reason,
        recordedBy: data.recordedBy ?? null,
        capturedAt: data.submission.capturedAt,
        conflictId: data.conflictId ?? null,
        position: event.position,
      });
    }
    case 'SubmissionConflictRecorded': {
      const { data } = audited;
      if (data.caseId !== undefined && data.caseId !== caseId) return fieldwork;
      const conflict: FieldConflict = {
        conflictId: data.conflictId,
        severity: data.severity,
        fields: data.fields,
        status: 'open',
        recordedAt: data.recordedAt ?? recordedAt,
        resolution: null,
        resolvedBy: null,
        resolvedAt: null,
        position: event.position,
      };
      return changed({
        conflicts: [...visit.conflicts.filter((c) => c.conflictId !== data.conflictId), conflict],
      });
    }
    default: {
      const _unhandled: never = audited;
      return fieldwork;
    }
  }
}

const uninterpreted = (state: CaseState, event: StoredEvent): CaseState => {
  const service = serviceOf(event.stream);
  return { ...state, uninterpreted: { ...state.uninterpreted, [service]: (state.uninterpreted[service] ?? 0) + 1 } };
};

function overall(state: CaseState): CaseStatus {
  if (state.intake.status === 'withdrawn') return 'withdrawn';
  return state.eligibility.status === 'none' ? 'received' : state.eligibility.status;
}

export function evolveCase(state: CaseState, event: StoredEvent): CaseState {
  const base = {
    ...state,
    position: event.position,
    recordedAt: event.recordedAt.toISOString(),
    events: state.events + 1,
  };
  if (event.type === CASE_RECORD_ACCESSED) return { ...base, accesses: base.accesses + 1, status: overall(base) };
  const audited = interpret(event);
  const next = ((): CaseState => {
    switch (audited?.type) {
      case 'CaseOpened': {
        const { data } = audited;
        return {
          ...base,
          reference: data.reference,
          channel: data.channel,
          openedAt: data.openedAt,
          requestedServices: data.requestedServices,
          intake: { status: 'open', withdrawnAt: null },
        };
      }
      case 'ServicesChanged':
        return { ...base, requestedServices: audited.data.requestedServices };
      case 'EvidenceAttached': {
        const { data } = audited;
        return {
          ...base,
          evidence: [
            ...base.evidence,
            { evidenceId: data.evidenceId, kind: data.kind, attachedAt: data.attachedAt ?? base.recordedAt },
          ],
        };
      }
      case 'CaseWithdrawn':
        return { ...base, intake: { status: 'withdrawn', withdrawnAt: audited.data.withdrawnAt ?? null } };
      case 'ContactPersonUpdated':
        return base;
      case 'CaseReferenceAssigned': // the tenant's yearly counter, on its own stream; CaseOpened carries it too
        return { ...base, reference: base.reference ?? audited.data.reference };
      case 'AssessmentPrechecked': {
        const { precheck, checkedAt } = audited.data;
        return {
          ...base,
          eligibility: {
            // A re-check while a decision stands leaves the decision in place.
            status: base.eligibility.status === 'none' ? 'awaiting-decision' : base.eligibility.status,
            precheckOutcome: precheck.outcome,
            ruleSetVersion: precheck.ruleSetVersion,
            rules:
              typeof precheck.rules === 'string'
                ? precheck.rules
                : precheck.rules.map(({ rule, passed, detail }) => ({ rule, passed, detail })),
            checkedAt,
          },
        };
      }
      case 'EvidenceRequested': {
        const { data } = audited;
        return {
          ...base,
          eligibility: { ...base.eligibility, status: 'evidence-requested' },
          decisions: [
            ...base.decisions,
            decision(
              'evidence-requested',
              { decidedBy: data.decidedBy, decidedAt: data.decidedAt, reason: data.missing },
              event,
            ),
          ],
        };
      }
      case 'NecessityConfirmed': {
        const { data } = audited;
        return {
          ...base,
          eligibility: {
            ...base.eligibility,
            status: 'approved',
            ruleSetVersion: data.ruleSetVersion ?? base.eligibility.ruleSetVersion,
          },
          decisions: [...base.decisions, decision('approved', data, event)],
        };
      }
      case 'CaseRejected': {
        const { data } = audited;
        return {
          ...base,
          eligibility: {
            ...base.eligibility,
            status: 'rejected',
            ruleSetVersion: data.ruleSetVersion ?? base.eligibility.ruleSetVersion,
          },
          decisions: [
            ...base.decisions,
            decision('rejected', { ...decidedIn(data), ruleSetVersion: data.ruleSetVersion }, event),
          ],
        };
      }
      case 'AssessmentReopened':
        return {
          ...base,
          eligibility: { ...base.eligibility, status: 'awaiting-decision' },
          decisions: [...base.decisions, decision('reopened', decidedIn(audited.data), event)],
        };
      case 'AssessmentClosed': {
        const { data } = audited;
        return {
          ...base,
          eligibility: { ...base.eligibility, status: 'closed' },
          decisions: [...base.decisions, decision('closed', { reason: data.reason, decidedAt: data.closedAt }, event)],
        };
      }
      case 'VisitBookingStarted':
      case 'VisitPlanned':
      case 'VisitBookingRefused':
      case 'VisitRescheduleStarted':
      case 'VisitRescheduled':
      case 'VisitRescheduleRefused':
      case 'VisitConfirmed':
      case 'VisitCancelled':
      case 'ParticipantRemoved':
      case 'VisitFlaggedForRescheduling': {
        const visits = evolveVisits(base.caseId, base.visits, audited, event);
        return visits ? { ...base, visits } : uninterpreted(base, event);
      }
      case 'FieldVisitStarted':
      case 'FieldVisitEnded':
      case 'DevicesChecked':
      case 'ServiceCompleted':
      case 'ServiceNotCompleted':
      case 'SubmissionConflictRecorded':
      case 'SubmissionConflictResolved': {
        const fieldwork = evolveFieldwork(base.caseId, base.fieldwork, audited, event);
        return fieldwork ? { ...base, fieldwork } : uninterpreted(base, event);
      }
      case undefined:
        return uninterpreted(base, event);
      default: {
        const _unhandled: never = audited;
        return base;
      }
    }
  })();
  return { ...next, status: overall(next) };
}

/** Where time travel stops: after a global position, or at a point in time (inclusive). */
export type AsOf = { readonly position: number } | { readonly time: Date };

export const includes = (asOf: AsOf | undefined, event: StoredEvent): boolean =>
  asOf === undefined ||
  ('position' in asOf ? event.position <= asOf.position : event.recordedAt.getTime() <= asOf.time.getTime());

/** Folds the events up to `asOf`; undefined when none of them is that old (the case did not exist yet). */
export async function caseStateAt(
  caseId: string,
  events: AsyncIterable<StoredEvent>,
  asOf?: AsOf,
): Promise<CaseState | undefined> {
  let state = initialCaseState(caseId);
  for await (const event of events) {
    // Positions rise through the history; times almost do (clocks of several writers), so a time bound reads on.
    if (asOf && 'position' in asOf && event.position > asOf.position) break;
    if (includes(asOf, event)) state = evolveCase(state, event);
  }
  return state.events === 0 ? undefined : state;
}
