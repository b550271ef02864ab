/**
 * What casefile interprets of the events other services store, to fold a case's state for auditors
 * (services/casefile/src/history/case-state.ts). Casefile reads the store, not the bus, so these are not integration
 * events: they are the part of each service's stored events that the audit view relies on, declared once, so that a
 * service that renames or retypes one of these fields learns it from its own type check (each checks its events
 * against them), not from an auditor's empty history.
 *
 * Loose objects: an event's other fields pass untouched. Where a field is personal (the pre-check's outcome and
 * rules, reasons, a visit's address), the fold reads it as the caller may see it: opened, or a marker string
 * ("[withheld]", "[erased]"). A field the fold can do without is optional, so that events written before it existed
 * stay readable. A stored event of one of these types that does not satisfy its contract (or has a newer schema
 * version) is counted as uninterpreted, like a type the fold does not know.
 */
import { z } from 'zod';

const decided = { decidedBy: z.string().optional(), decidedAt: z.string().optional() };
const audited = <const Type extends string, Shape extends z.ZodRawShape>(type: Type, shape: Shape) =>
  z.object({ type: z.literal(type), data: z.looseObject(shape) });

// intake: the case and its reference counter
export const auditCaseOpened = audited('CaseOpened', {
  reference: z.string(),
  channel: z.string(),
  openedAt: z.string(),
  requestedServices: z.array(z.string()),
});
export const auditServicesChanged = audited('ServicesChanged', { requestedServices: z.array(z.string()) });
export const auditEvidenceAttached = audited('EvidenceAttached', {
  evidenceId: z.string(),
  kind: z.string(),
  attachedAt: z.string().optional(),
});
export const auditCaseWithdrawn = audited('CaseWithdrawn', { withdrawnAt: z.string().optional() });
export const auditContactPersonUpdated = audited('ContactPersonUpdated', {});
export const auditCaseReferenceAssigned = audited('CaseReferenceAssigned', { reference: z.string() });

// eligibility: the assessment
export const auditAssessmentPrechecked = audited('AssessmentPrechecked', {
  precheck: z.looseObject({
    outcome: z.string(),
    ruleSetVersion: z.number(),
    // Sealed as a whole since issue 13 (a marker where not disclosed); older events hold each result in clear, whose
    // pass/fail and detail read as markers where withheld.
    rules: z.union([
      z.array(z.looseObject({ rule: z.string(), passed: z.union([z.boolean(), z.string()]), detail: z.string() })),
      z.string(),
    ]),
  }),
  checkedAt: z.string(),
});
export const auditEvidenceRequested = audited('EvidenceRequested', { missing: z.string().optional(), ...decided });
export const auditNecessityConfirmed = audited('NecessityConfirmed', {
  ruleSetVersion: z.number().optional(),
  reason: z.string().optional(),
  override: z.string().optional(),
  ...decided,
});
export const auditCaseRejected = audited('CaseRejected', {
  ruleSetVersion: z.number().optional(),
  reason: z.string().optional(),
  ...decided,
});
export const auditAssessmentReopened = audited('AssessmentReopened', { reason: z.string().optional(), ...decided });
export const auditAssessmentClosed = audited('AssessmentClosed', {
  reason: z.string().optional(),
  closedAt: z.string().optional(),
});

// scheduling: the visit (stream `visit-<visitId>`), stored with `metadata.caseIds` naming its participants' cases
// (and those removed from it), so each participant's history holds it.
const allocated = {
  visitId: z.string(),
  kitId: z.string(),
  staffIds: z.array(z.string()),
  date: z.string(),
  start: z.string(),
  end: z.string(),
};
export const auditVisitBookingStarted = audited('VisitBookingStarted', {
  ...allocated,
  participants: z.array(z.looseObject({ caseId: z.string(), services: z.array(z.string()) })).optional(),
  // The address is sealed (per the place's subject): a marker where not disclosed.
  place: z.looseObject({ kind: z.string(), address: z.string().optional() }).optional(),
  requestedBy: z.string().optional(),
  requestedAt: z.string().optional(),
});
export const auditVisitPlanned = audited('VisitPlanned', { ...allocated, plannedAt: z.string().optional() });
export const auditVisitBookingRefused = audited('VisitBookingRefused', {
  visitId: z.string(),
  refusedAt: z.string().optional(),
});
export const auditVisitRescheduleStarted = audited('VisitRescheduleStarted', {
  ...allocated,
  requestedBy: z.string().optional(),
  requestedAt: z.string().optional(),
});
export const auditVisitRescheduled = audited('VisitRescheduled', {
  ...allocated,
  rescheduledAt: z.string().optional(),
});
export const auditVisitRescheduleRefused = audited('VisitRescheduleRefused', {
  visitId: z.string(),
  refusedAt: z.string().optional(),
});
export const auditVisitConfirmed = audited('VisitConfirmed', {
  visitId: z.string(),
  confirmedBy: z.string(),
  confirmedAt: z.string().optional(),
});
export const auditVisitCancelled = audited('VisitCancelled', {
  visitId: z.string(),
  reason: z.string(),
  cancelledBy: z.string().optional(),
  cancelledAt: z.string().optional(),
});
export const auditParticipantRemoved = audited('ParticipantRemoved', {
  visitId: z.string(),
  caseId: z.string(),
  reason: z.string(),
  removedBy: z.string().optional(),
  removedAt: z.string().optional(),
});
export const auditVisitFlaggedForRescheduling = audited('VisitFlaggedForRescheduling', {
  visitId: z.string(),
  reason: z.string(),
  flaggedAt: z.string().optional(),
});

// fieldkit: the kit's records on a visit (stream `fieldVisit-<visitId>`), stored with `metadata.caseId` (a service's
// outcome, a conflict about one participant's record) or `metadata.caseIds` (the visit's own records), so each
// participant's history holds them. The office's copies of scheduling's events on that stream (`KitVisit…`,
// `KitParticipantRemoved`) name no case: the case's history has them from scheduling, and they are not read here.
const kitRecord = {
  visitId: z.string(),
  kitId: z.string(),
  recordedBy: z.string().optional(),
  /** How the record reached the office: the fold reads when the kit captured it (the kit's clock). */
  submission: z.looseObject({ capturedAt: z.string() }),
  /** The conflict the record took effect with (soft) or through (resolved). */
  conflictId: z.string().optional(),
};
export const auditFieldVisitStarted = audited('FieldVisitStarted', kitRecord);
export const auditFieldVisitEnded = audited('FieldVisitEnded', kitRecord);
export const auditDevicesChecked = audited('DevicesChecked', {
  ...kitRecord,
  phase: z.string(),
  devices: z.array(z.looseObject({ device: z.string(), status: z.string() })),
});
export const auditServiceCompleted = audited('ServiceCompleted', {
  ...kitRecord,
  caseId: z.string(),
  service: z.string(),
  producerReference: z.string().optional(),
  feeCents: z.number(),
  paymentMethod: z.string(),
});
export const auditServiceNotCompleted = audited('ServiceNotCompleted', {
  ...kitRecord,
  caseId: z.string(),
  service: z.string(),
  reason: z.string(),
});
export const auditSubmissionConflictRecorded = audited('SubmissionConflictRecorded', {
  conflictId: z.string(),
  visitId: z.string(),
  kitId: z.string(),
  severity: z.string(),
  fields: z.array(z.string()),
  /** The participant whose record it is (absent for the visit's own records). */
  caseId: z.string().optional(),
  recordedAt: z.string().optional(),
});
export const auditSubmissionConflictResolved = audited('SubmissionConflictResolved', {
  conflictId: z.string(),
  visitId: z.string(),
  resolution: z.string(),
  resolvedBy: z.looseObject({ id: z.string() }).optional(),
  resolvedAt: z.string().optional(),
});

/** Every event type casefile interprets, as one union (for a slice codec over the whole store). */
export const auditEvent = z.discriminatedUnion('type', [
  auditCaseOpened,
  auditServicesChanged,
  auditEvidenceAttached,
  auditCaseWithdrawn,
  auditContactPersonUpdated,
  auditCaseReferenceAssigned,
  auditAssessmentPrechecked,
  auditEvidenceRequested,
  auditNecessityConfirmed,
  auditCaseRejected,
  auditAssessmentReopened,
  auditAssessmentClosed,
  auditVisitBookingStarted,
  auditVisitPlanned,
  auditVisitBookingRefused,
  auditVisitRescheduleStarted,
  auditVisitRescheduled,
  auditVisitRescheduleRefused,
  auditVisitConfirmed,
  auditVisitCancelled,
  auditParticipantRemoved,
  auditVisitFlaggedForRescheduling,
  auditFieldVisitStarted,
  auditFieldVisitEnded,
  auditDevicesChecked,
  auditServiceCompleted,
  auditServiceNotCompleted,
  auditSubmissionConflictRecorded,
  auditSubmissionConflictResolved,
]);
export type AuditEvent = z.infer<typeof auditEvent>;

/**
 * `true` where a service's event of a type casefile interprets carries what the audit contract reads (as its
 * type), `false` where it does not; a service asserts every entry is `true` (see its events' unit spec).
 */
export type AuditConformance<Event extends { readonly type: string; readonly data: unknown }> = {
  readonly [E in Event as E['type'] extends AuditEvent['type'] ? E['type'] : never]: E['data'] extends Extract<
    z.input<typeof auditEvent>,
    { type: E['type'] }
  >['data']
    ? true
    : false;
};
