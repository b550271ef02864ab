/**
 * One visit as the kit works it (stream `fieldVisit-<visitId>`): what the office planned — as scheduling published
 * it on `scheduling.visit.v1`, each change raising the visit's manifest version — and what the kit recorded on site,
 * each record under its client submission id. Nothing personal: ids, services, reason codes, fees, the producing
 * authority's reference (the person's data is in `fieldParticipant-<caseId>`, sealed).
 *
 * The office's events carry no case in their metadata (the case's history has them from scheduling); the kit's
 * records do (`caseId`, or `caseIds` for the visit's own records), so a case's history and time travel show them.
 */
import { KIT_DEVICES, NOT_COMPLETED_REASONS, PAYMENT_METHODS, SERVICE_IDS } from '@buergerkoffer/shared/contracts';
import { eventCodec } from '@buergerkoffer/shared/event-sourcing';
import { z } from 'zod';

const services = z.array(z.enum(SERVICE_IDS)).min(1);
const slot = {
  visitId: z.uuid(),
  kitId: z.uuid(),
  staffIds: z.array(z.uuid()).length(2),
  start: z.iso.datetime(),
  end: z.iso.datetime(),
};

// The office (from scheduling.visit.v1)
export const kitVisitAssigned = z.object({
  type: z.literal('KitVisitAssigned'),
  data: z.object({ ...slot, caseId: z.uuid(), services, groupVisit: z.boolean(), assignedAt: z.iso.datetime() }),
});
export const kitVisitRescheduled = z.object({
  type: z.literal('KitVisitRescheduled'),
  data: z.object({ ...slot, rescheduledAt: z.iso.datetime() }),
});
export const kitVisitCancelled = z.object({
  type: z.literal('KitVisitCancelled'),
  data: z.object({ visitId: z.uuid(), reason: z.string(), cancelledAt: z.iso.datetime() }),
});
export const kitParticipantRemoved = z.object({
  type: z.literal('KitParticipantRemoved'),
  data: z.object({ visitId: z.uuid(), caseId: z.uuid(), reason: z.string(), removedAt: z.iso.datetime() }),
});

/** How a record reached the office: its client id, device, the manifest version it was made on, its content hash. */
export const submission = z.object({
  submissionId: z.uuid(),
  deviceId: z.string(),
  baseVersion: z.number().int(),
  capturedAt: z.iso.datetime({ offset: true }),
  sequence: z.number().int(),
  /** SHA-256 of the record as sent (canonical JSON): a re-upload is the same submission only if this matches. */
  contentHash: z.string(),
});
const recorded = {
  visitId: z.uuid(),
  kitId: z.uuid(),
  recordedBy: z.uuid(),
  submission,
  /** The conflict this record was recorded with (soft: it took effect at once) or resolved through. */
  conflictId: z.uuid().optional(),
};

// The kit (POST /kits/{kitId}/sync)
export const fieldVisitStarted = z.object({ type: z.literal('FieldVisitStarted'), data: z.object(recorded) });
export const fieldVisitEnded = z.object({ type: z.literal('FieldVisitEnded'), data: z.object(recorded) });
export const devicesChecked = z.object({
  type: z.literal('DevicesChecked'),
  data: z.object({
    ...recorded,
    phase: z.enum(['start', 'end']),
    devices: z.array(z.object({ device: z.enum(KIT_DEVICES), status: z.enum(['ok', 'faulty']) })),
  }),
});
export const serviceCompleted = z.object({
  type: z.literal('ServiceCompleted'),
  data: z.object({
    ...recorded,
    caseId: z.uuid(),
    service: z.enum(SERVICE_IDS),
    producerReference: z.string().optional(),
    feeCents: z.number().int().min(0),
    paymentMethod: z.enum(PAYMENT_METHODS),
  }),
});
export const serviceNotCompleted = z.object({
  type: z.literal('ServiceNotCompleted'),
  data: z.object({
    ...recorded,
    caseId: z.uuid(),
    service: z.enum(SERVICE_IDS),
    reason: z.enum(NOT_COMPLETED_REASONS),
  }),
});

/** A record on a stale base, kept for the office's review: soft (other fields changed) or hard (the same ones). */
export const submissionConflictRecorded = z.object({
  type: z.literal('SubmissionConflictRecorded'),
  data: z.object({
    conflictId: z.uuid(),
    visitId: z.uuid(),
    kitId: z.uuid(),
    severity: z.enum(['soft', 'hard']),
    /** What the office changed since the record's base that the record touches (hard), or at all (soft). */
    fields: z.array(z.string()),
    /** The office's version when the record arrived. */
    officeVersion: z.number().int(),
    /** The record as the kit sent it (a SyncRecord). */
    record: z.record(z.string(), z.unknown()),
    submission,
    caseId: z.uuid().optional(),
    recordedAt: z.iso.datetime(),
  }),
});
export const submissionConflictResolved = z.object({
  type: z.literal('SubmissionConflictResolved'),
  data: z.object({
    conflictId: z.uuid(),
    visitId: z.uuid(),
    resolution: z.enum(['accept-kit', 'keep-office', 'merge']),
    reason: z.string(),
    /** The office's values taken over the kit's (merge). */
    merge: z.record(z.string(), z.unknown()).optional(),
    resolvedBy: z.object({ id: z.string(), role: z.string() }),
    resolvedAt: z.iso.datetime(),
  }),
});

export const fieldVisitEvent = z.discriminatedUnion('type', [
  kitVisitAssigned,
  kitVisitRescheduled,
  kitVisitCancelled,
  kitParticipantRemoved,
  fieldVisitStarted,
  fieldVisitEnded,
  devicesChecked,
  serviceCompleted,
  serviceNotCompleted,
  submissionConflictRecorded,
  submissionConflictResolved,
]);
export type FieldVisitEvent = z.infer<typeof fieldVisitEvent>;
export type FieldVisitEventType = FieldVisitEvent['type'];
export const fieldVisitCodec = eventCodec(fieldVisitEvent);

/** The kit's records as events (the types a submission becomes when it takes effect). */
export const RECORD_EVENT_TYPES = [
  'FieldVisitStarted',
  'FieldVisitEnded',
  'DevicesChecked',
  'ServiceCompleted',
  'ServiceNotCompleted',
] as const satisfies readonly FieldVisitEventType[];
export type RecordEvent = Extract<FieldVisitEvent, { type: (typeof RECORD_EVENT_TYPES)[number] }>;

export const FIELD_VISIT_CATEGORY = 'fieldVisit';
export const toFieldVisitStreamName = (visitId: string): string => `${FIELD_VISIT_CATEGORY}-${visitId}`;
