/**
 * The visit as the kit works it: the office's plan (each change raising the manifest version and naming the fields
 * it changed) and the kit's records, each known by its client submission id. Pure.
 *
 * The office's side (`Assign`, `Reschedule`, `Cancel`, `RemoveParticipant`) follows scheduling.visit.v1, whose
 * messages are keyed by case: the events of one visit arrive over several partitions, so a participant's planning
 * may come after the visit's reschedule or cancellation. Assigning to a known visit therefore only adds the
 * participant (the slot is the visit's, changed by reschedules alone), and a cancelled visit stays cancelled.
 *
 * The kit's side is `decideSubmission` (sync.ts calls it per record, in order): a known submission is a duplicate
 * (same content) or a reused id (other content); a record the visit cannot have (another kit's, a case not on it, a
 * service not asked for, a recorder not on the team) is rejected naming the field; a record on the current version
 * takes effect; one on an older version is held as a conflict for the office — hard when the office changed what
 * the record touches, soft when it changed something else. Held records take effect only when the office accepts
 * them (or merges its corrections in): an outcome once published drives follow-ups and fees downstream, so nothing
 * on a stale base is published before someone has looked.
 */
import type { FirstAnswer, ServiceId, SyncRecord } from '@buergerkoffer/shared/contracts';
import { type Decider, DomainError } from '@buergerkoffer/shared/event-sourcing';
import type { FieldVisitEvent, RecordEvent } from './field-visit.events.ts';

export interface Participant {
  readonly caseId: string;
  readonly services: readonly ServiceId[];
  /** Taken off the visit in the office, at this version. */
  readonly removedAt?: number;
  /** On the visit from this version on. */
  readonly since: number;
}

export interface OfficeChange {
  readonly version: number;
  readonly fields: readonly string[];
  /** The kit and team before this change (when it changed them). */
  readonly kitIdBefore?: string;
  readonly staffIdsBefore?: readonly string[];
}

export interface HeldConflict {
  readonly conflictId: string;
  readonly status: 'open' | 'resolved';
  readonly severity: 'soft' | 'hard';
  readonly fields: readonly string[];
  readonly submissionId: string;
  /** The kit that made the record (the visit may have moved to another since). */
  readonly kitId: string;
  readonly caseId?: string;
  readonly resolution?: 'accept-kit' | 'keep-office' | 'merge';
}

export interface FieldVisitState {
  readonly status: 'none' | 'planned' | 'cancelled';
  readonly visitId: string;
  readonly kitId: string;
  readonly staffIds: readonly string[];
  readonly start: string;
  readonly end: string;
  readonly groupVisit: boolean;
  readonly participants: readonly Participant[];
  /** The manifest version of the visit: 1 once planned, one more per office change. */
  readonly version: number;
  readonly changes: readonly OfficeChange[];
  /** When the reschedule in force was made in the office: an older one arriving late (another case's partition, a
   *  redelivery) is not applied again. */
  readonly rescheduledAt?: string;
  /** Submission id → its content hash and the answer it got first. */
  readonly submissions: Readonly<Record<string, { readonly contentHash: string; readonly answer: FirstAnswer }>>;
  readonly conflicts: Readonly<Record<string, HeldConflict>>;
}

export type OfficeCommand =
  | {
      readonly type: 'Assign';
      readonly visitId: string;
      readonly kitId: string;
      readonly staffIds: readonly string[];
      readonly start: string;
      readonly end: string;
      readonly caseId: string;
      readonly services: readonly ServiceId[];
      readonly groupVisit: boolean;
      readonly now: string;
    }
  | {
      readonly type: 'Reschedule';
      readonly visitId: string;
      readonly kitId: string;
      readonly staffIds: readonly string[];
      readonly start: string;
      readonly end: string;
      readonly now: string;
    }
  | { readonly type: 'Cancel'; readonly visitId: string; readonly reason: string; readonly now: string }
  | {
      readonly type: 'RemoveParticipant';
      readonly visitId: string;
      readonly caseId: string;
      readonly reason: string;
      readonly now: string;
    };

export type ResolveCommand = {
  readonly type: 'ResolveConflict';
  readonly conflictId: string;
  readonly resolution: 'accept-kit' | 'keep-office' | 'merge';
  readonly reason: string;
  readonly merge?: Readonly<Record<string, unknown>>;
  readonly by: { readonly id: string; readonly role: string };
  /** The held record as the kit sent it (from the conflict's event) and its submission. */
  readonly held: { readonly record: SyncRecord; readonly submission: Submission };
  readonly now: string;
};

export type FieldVisitCommand = OfficeCommand | ResolveCommand;

export class ConflictNotFound extends DomainError {
  readonly code = 'conflict-not-found';
  readonly kind = 'not-found';
  constructor(conflictId: string) {
    super(`no conflict ${conflictId}`);
  }
}
export class ConflictAlreadyResolved extends DomainError {
  readonly code = 'conflict-already-resolved';
  readonly kind = 'illegal-state';
  constructor(conflictId: string, resolution: string | undefined) {
    super(`conflict ${conflictId} was resolved before (${resolution ?? 'unknown'})`);
  }
}
export class MergeNotApplicable extends DomainError {
  readonly code = 'merge-not-applicable';
  readonly kind = 'validation';
  readonly fields: readonly string[];
  constructor(kind: string, fields: readonly string[]) {
    super(`a ${kind} record has no ${fields.join(', ')} to merge`);
    this.fields = fields;
  }
}

export interface Submission {
  readonly submissionId: string;
  readonly deviceId: string;
  readonly baseVersion: number;
  readonly capturedAt: string;
  readonly sequence: number;
  readonly contentHash: string;
}

export const initialFieldVisitState = (): FieldVisitState => ({
  status: 'none',
  visitId: '',
  kitId: '',
  staffIds: [],
  start: '',
  end: '',
  groupVisit: false,
  participants: [],
  version: 0,
  changes: [],
  submissions: {},
  conflicts: {},
});

const sameSet = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && a.every((item) => b.includes(item));

/** The fields a reschedule changes. */
function rescheduled(
  state: FieldVisitState,
  to: { kitId: string; staffIds: readonly string[]; start: string; end: string },
) {
  const fields: string[] = [];
  if (to.start !== state.start) fields.push('start');
  if (to.end !== state.end) fields.push('end');
  if (to.kitId !== state.kitId) fields.push('kitId');
  if (!sameSet(to.staffIds, state.staffIds)) fields.push('staffIds');
  return fields;
}

const office = (state: FieldVisitState, fields: readonly string[], extra: Partial<OfficeChange> = {}) => ({
  ...state,
  version: state.version + 1,
  changes: [...state.changes, { version: state.version + 1, fields, ...extra }],
});

/**
 * The submissions map grows with every record: it is extended in place (a fold owns the state it builds), so folding
 * a visit of n records costs n, not n² — a copy per record made 5,000 records take 9.5 s. A state once evolved is not
 * read again by anyone (sync.ts and the projection go forward only).
 */
const withSubmission = (
  state: FieldVisitState,
  submissionId: string,
  entry: FieldVisitState['submissions'][string],
): FieldVisitState => {
  (state.submissions as Record<string, FieldVisitState['submissions'][string]>)[submissionId] = entry;
  return { ...state };
};

function evolveRecord(state: FieldVisitState, event: RecordEvent): FieldVisitState {
  const { submission } = event.data;
  if (state.submissions[submission.submissionId]) return state; // held first, taken in on review: the first answer stays
  return withSubmission(state, submission.submissionId, {
    contentHash: submission.contentHash,
    answer: { status: 'accepted', visitId: event.data.visitId, sequence: submission.sequence },
  });
}

export function evolveFieldVisit(state: FieldVisitState, event: FieldVisitEvent): FieldVisitState {
  switch (event.type) {
    case 'KitVisitAssigned': {
      const { data } = event;
      const participant: Participant = { caseId: data.caseId, services: data.services, since: state.version + 1 };
      if (state.status === 'none') {
        return {
          ...office(state, ['status']),
          status: 'planned',
          visitId: data.visitId,
          kitId: data.kitId,
          staffIds: data.staffIds,
          start: data.start,
          end: data.end,
          groupVisit: data.groupVisit,
          participants: [participant],
        };
      }
      // Re-added, or with other services: the earlier participation ends here, so a record made on it is still
      // judged against what it was then (held as a conflict, not rejected).
      const next = office(state, [`participants.${data.caseId}`]);
      return {
        ...next,
        groupVisit: state.groupVisit || data.groupVisit,
        participants: [
          ...state.participants.map((p) =>
            p.caseId === data.caseId && p.removedAt === undefined ? { ...p, removedAt: next.version } : p,
          ),
          participant,
        ],
      };
    }
    case 'KitVisitRescheduled': {
      const { data } = event;
      return {
        ...office(state, rescheduled(state, data), { kitIdBefore: state.kitId, staffIdsBefore: state.staffIds }),
        kitId: data.kitId,
        staffIds: data.staffIds,
        start: data.start,
        end: data.end,
        rescheduledAt: data.rescheduledAt,
      };
    }
    case 'KitVisitCancelled':
      return { ...office(state, ['status']), status: 'cancelled' };
    case 'KitParticipantRemoved': {
      const next = office(state, [`participants.${event.data.caseId}`]);
      return {
        ...next,
        participants: state.participants.map((p) =>
          p.caseId === event.data.caseId ? { ...p, removedAt: next.version } : p,
        ),
      };
    }
    case 'FieldVisitStarted':
    case 'FieldVisitEnded':
    case 'DevicesChecked':
    case 'ServiceCompleted':
    case 'ServiceNotCompleted':
      return evolveRecord(state, event);
    case 'SubmissionConflictRecorded': {
      const { data } = event;
      const recorded = withSubmission(state, data.submission.submissionId, {
        contentHash: data.submission.contentHash,
        answer: {
          status: 'recorded-as-conflict',
          visitId: data.visitId,
          sequence: data.submission.sequence,
          conflictId: data.conflictId,
          severity: data.severity,
          fields: data.fields,
        },
      });
      return {
        ...recorded,
        conflicts: {
          ...state.conflicts,
          [data.conflictId]: {
            conflictId: data.conflictId,
            status: 'open',
            severity: data.severity,
            fields: data.fields,
            submissionId: data.submission.submissionId,
            kitId: data.kitId,
            ...(data.caseId ? { caseId: data.caseId } : {}),
          },
        },
      };
    }
    case 'SubmissionConflictResolved': {
      const held = state.conflicts[event.data.conflictId];
      if (!held) return state;
      return {
        ...state,
        conflicts: {
          ...state.conflicts,
          [held.conflictId]: { ...held, status: 'resolved', resolution: event.data.resolution },
        },
      };
    }
    default: {
      const _unhandled: never = event;
      return state;
    }
  }
}

/** The office's events a command causes (none when it changes nothing: a redelivery, a repeat per case). */
function decideOffice(command: OfficeCommand, state: FieldVisitState): FieldVisitEvent[] {
  switch (command.type) {
    case 'Assign': {
      if (state.status === 'cancelled') return [];
      const known = state.participants.find((p) => p.caseId === command.caseId && p.removedAt === undefined);
      if (known && sameSet(known.services, command.services)) return [];
      return [
        {
          type: 'KitVisitAssigned',
          data: {
            visitId: command.visitId,
            kitId: command.kitId,
            staffIds: [...command.staffIds],
            start: command.start,
            end: command.end,
            caseId: command.caseId,
            services: [...command.services],
            groupVisit: command.groupVisit,
            assignedAt: command.now,
          },
        },
      ];
    }
    case 'Reschedule':
      if (state.status !== 'planned' || rescheduled(state, command).length === 0) return [];
      if (state.rescheduledAt !== undefined && command.now <= state.rescheduledAt) return [];
      return [
        {
          type: 'KitVisitRescheduled',
          data: {
            visitId: command.visitId,
            kitId: command.kitId,
            staffIds: [...command.staffIds],
            start: command.start,
            end: command.end,
            rescheduledAt: command.now,
          },
        },
      ];
    case 'Cancel':
      if (state.status !== 'planned') return [];
      return [
        {
          type: 'KitVisitCancelled',
          data: { visitId: command.visitId, reason: command.reason, cancelledAt: command.now },
        },
      ];
    case 'RemoveParticipant': {
      const on = state.participants.find((p) => p.caseId === command.caseId && p.removedAt === undefined);
      if (!on || state.status === 'none') return [];
      return [
        {
          type: 'KitParticipantRemoved',
          data: { visitId: command.visitId, caseId: command.caseId, reason: command.reason, removedAt: command.now },
        },
      ];
    }
    default: {
      const _unhandled: never = command;
      return [];
    }
  }
}

const MERGEABLE: Readonly<Record<string, readonly string[]>> = {
  'service-completed': ['feeCents', 'paymentMethod', 'producerReference'],
  'service-not-completed': ['reason'],
};

function decideResolve(command: ResolveCommand, state: FieldVisitState): FieldVisitEvent[] {
  const held = state.conflicts[command.conflictId];
  if (!held) throw new ConflictNotFound(command.conflictId);
  if (held.status === 'resolved') throw new ConflictAlreadyResolved(command.conflictId, held.resolution);
  const merge = command.merge ?? {};
  const allowed = MERGEABLE[command.held.record.kind] ?? [];
  const notApplicable = Object.keys(merge).filter((field) => !allowed.includes(field));
  if (notApplicable.length > 0) throw new MergeNotApplicable(command.held.record.kind, notApplicable);
  const resolved: FieldVisitEvent = {
    type: 'SubmissionConflictResolved',
    data: {
      conflictId: held.conflictId,
      visitId: state.visitId,
      resolution: command.resolution,
      reason: command.reason,
      ...(command.resolution === 'merge' ? { merge: { ...merge } } : {}),
      resolvedBy: { ...command.by },
      resolvedAt: command.now,
    },
  };
  if (command.resolution === 'keep-office') return [resolved];
  const record = { ...command.held.record, ...merge } as SyncRecord;
  // The record is the kit's that made it, whichever kit the visit is on now (a fault found on kit A is A's).
  return [resolved, recordEventOf(record, command.held.submission, held.kitId ?? state.kitId, held.conflictId)];
}

/** The event a record becomes when it takes effect. */
export function recordEventOf(
  record: SyncRecord,
  submission: Submission,
  kitId: string,
  conflictId?: string,
): RecordEvent {
  const common = {
    visitId: record.visitId,
    kitId,
    recordedBy: record.recordedBy,
    submission,
    ...(conflictId ? { conflictId } : {}),
  };
  switch (record.kind) {
    case 'visit-started':
      return { type: 'FieldVisitStarted', data: common };
    case 'visit-ended':
      return { type: 'FieldVisitEnded', data: common };
    case 'device-check':
      return { type: 'DevicesChecked', data: { ...common, phase: record.phase, devices: record.devices } };
    case 'service-completed':
      return {
        type: 'ServiceCompleted',
        data: {
          ...common,
          caseId: record.caseId,
          service: record.service,
          ...(record.producerReference ? { producerReference: record.producerReference } : {}),
          feeCents: record.feeCents,
          paymentMethod: record.paymentMethod,
        },
      };
    case 'service-not-completed':
      return {
        type: 'ServiceNotCompleted',
        data: { ...common, caseId: record.caseId, service: record.service, reason: record.reason },
      };
    default: {
      const _unhandled: never = record;
      throw new Error('unknown record kind');
    }
  }
}

export const fieldVisitDecider: Decider<FieldVisitCommand, FieldVisitEvent, FieldVisitState> = {
  initialState: initialFieldVisitState,
  evolve: evolveFieldVisit,
  decide: (command, state) =>
    command.type === 'ResolveConflict' ? decideResolve(command, state) : decideOffice(command, state),
};

/** The kit and team the visit had at a version (undoing the reschedules after it). */
export function slotAt(state: FieldVisitState, version: number): { kitId: string; staffIds: readonly string[] } {
  let kitId = state.kitId;
  let staffIds = state.staffIds;
  for (const change of [...state.changes].reverse()) {
    if (change.version <= version) break;
    if (change.kitIdBefore !== undefined) kitId = change.kitIdBefore;
    if (change.staffIdsBefore !== undefined) staffIds = change.staffIdsBefore;
  }
  return { kitId, staffIds };
}

/** The participants on the visit at a version. */
export const participantsAt = (state: FieldVisitState, version: number): readonly Participant[] =>
  state.participants.filter((p) => p.since <= version && (p.removedAt === undefined || p.removedAt > version));

/** Every field the office changed after a version. */
export const changedSince = (state: FieldVisitState, version: number): readonly string[] => [
  ...new Set(state.changes.filter((change) => change.version > version).flatMap((change) => change.fields)),
];

/** What a record relies on: the visit going ahead on this kit, and what the record is about. */
export function touchedBy(record: SyncRecord, state: FieldVisitState): readonly string[] {
  const touched = ['status', 'kitId'];
  if (!state.staffIds.includes(record.recordedBy)) touched.push('staffIds');
  switch (record.kind) {
    case 'visit-started':
    case 'visit-ended':
      touched.push('start', 'end');
      break;
    case 'service-completed':
    case 'service-not-completed':
      touched.push(`participants.${record.caseId}`);
      break;
    case 'device-check':
      break;
  }
  return touched;
}

export type SubmissionDecision =
  | { readonly answer: 'duplicate'; readonly first: FirstAnswer }
  | { readonly answer: 'conflict'; readonly detail: string }
  | { readonly answer: 'rejected'; readonly errors: readonly { field: string; message: string }[] }
  | { readonly answer: 'accepted'; readonly event: RecordEvent }
  | {
      readonly answer: 'recorded-as-conflict';
      readonly severity: 'soft' | 'hard';
      readonly fields: readonly string[];
    };

/** How one record from the kit `kitId` is taken in on the visit as it stands. */
export function decideSubmission(
  state: FieldVisitState,
  kitId: string,
  record: SyncRecord,
  submission: Submission,
): SubmissionDecision {
  const known = state.submissions[record.submissionId];
  if (known) {
    return known.contentHash === submission.contentHash
      ? { answer: 'duplicate', first: known.answer }
      : { answer: 'conflict', detail: `submission ${record.submissionId} was taken in before with other content` };
  }
  const reject = (field: string, message: string): SubmissionDecision => ({
    answer: 'rejected',
    errors: [{ field, message }],
  });
  if (state.status === 'none') return reject('visitId', 'no such visit on this kit');
  if (record.baseVersion < 1 || record.baseVersion > state.version)
    return reject('baseVersion', `no manifest had this visit at version ${record.baseVersion}`);
  const then = slotAt(state, record.baseVersion);
  if (then.kitId !== kitId) return reject('visitId', 'no such visit on this kit');
  if (!then.staffIds.includes(record.recordedBy))
    return reject('recordedBy', 'not one of the visit’s field staff in the manifest');
  if (record.kind === 'service-completed' || record.kind === 'service-not-completed') {
    const participant = participantsAt(state, record.baseVersion).find((p) => p.caseId === record.caseId);
    if (!participant) return reject('caseId', 'not a participant of this visit in the manifest');
    if (!participant.services.includes(record.service))
      return reject('service', `not among the services of case ${record.caseId} on this visit`);
  }
  // A cancelled visit takes no record, even one claiming its latest version: the office decides.
  if (state.status === 'cancelled' && record.baseVersion === state.version)
    return { answer: 'recorded-as-conflict', severity: 'hard', fields: ['status'] };
  const changed = changedSince(state, record.baseVersion);
  if (changed.length === 0) return { answer: 'accepted', event: recordEventOf(record, submission, kitId) };
  const touched = touchedBy(record, state);
  const overlap = changed.filter((field) => touched.includes(field));
  return overlap.length > 0
    ? { answer: 'recorded-as-conflict', severity: 'hard', fields: overlap }
    : { answer: 'recorded-as-conflict', severity: 'soft', fields: changed };
}
