/**
 * Integration events the scheduling service publishes on `scheduling.visit.v1`, one per participant case, keyed by
 * case id (so each case's events keep their order on one partition): for fieldkit (what the kit does where), the
 * staff UIs and anyone following a case. Nothing personal: no address, no names — the visit, the case, the kit and
 * staff ids, the times and the services. Frozen once published: a change is a new version.
 */
import { z } from 'zod';

export const SCHEDULING_VISIT_TOPIC = 'scheduling.visit.v1';
export const SCHEDULING_SOURCE = '/buergerkoffer/scheduling';

const slot = {
  visitId: z.uuid(),
  caseId: z.uuid(),
  kitId: z.uuid(),
  staffIds: z.array(z.uuid()).length(2),
  start: z.iso.datetime(),
  end: z.iso.datetime(),
};

export const schedulingVisitPlannedV1 = z.object({
  ...slot,
  /** The case's services on this visit. */
  services: z.array(z.string().min(1)).min(1),
  /** Whether the visit serves several cases (a group appointment at an institution). */
  groupVisit: z.boolean(),
  plannedAt: z.iso.datetime(),
});
export const schedulingVisitConfirmedV1 = z.object({
  visitId: z.uuid(),
  caseId: z.uuid(),
  confirmedBy: z.enum(['citizen', 'institution', 'contact-person']),
  confirmedAt: z.iso.datetime(),
});
export const schedulingVisitRescheduledV1 = z.object({ ...slot, rescheduledAt: z.iso.datetime() });
export const schedulingVisitCancelledV1 = z.object({
  visitId: z.uuid(),
  caseId: z.uuid(),
  reason: z.enum([
    'citizen-request',
    'institution-request',
    'staff-unavailable',
    'kit-unavailable',
    'no-participants',
    'other',
  ]),
  cancelledAt: z.iso.datetime(),
});
export const schedulingParticipantRemovedV1 = z.object({
  visitId: z.uuid(),
  caseId: z.uuid(),
  reason: z.enum(['case-withdrawn', 'case-rejected', 'scheduler']),
  removedAt: z.iso.datetime(),
});
export const schedulingVisitNeedsReschedulingV1 = z.object({
  visitId: z.uuid(),
  caseId: z.uuid(),
  reason: z.enum(['device-faulty', 'kit-withdrawn', 'staff-absent', 'staff-deactivated']),
  flaggedAt: z.iso.datetime(),
});

/** `ce_type` → schema: what scheduling publishes (its relay checks each event against these before it sends). */
export const schedulingVisitContracts = {
  'scheduling.visit.planned.v1': schedulingVisitPlannedV1,
  'scheduling.visit.confirmed.v1': schedulingVisitConfirmedV1,
  'scheduling.visit.rescheduled.v1': schedulingVisitRescheduledV1,
  'scheduling.visit.cancelled.v1': schedulingVisitCancelledV1,
  'scheduling.visit.participant-removed.v1': schedulingParticipantRemovedV1,
  'scheduling.visit.needs-rescheduling.v1': schedulingVisitNeedsReschedulingV1,
} as const;
