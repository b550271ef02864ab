/**
 * What is to be planned for one case (stream `schedulingDemand-<caseId>`): its services and group request as intake
 * published them, the necessity check's approval as eligibility published it, and the visit it is planned on. An
 * approved case with known services is to be planned; a withdrawn or rejected one leaves the plan. No personal data:
 * the case's and applicant's ids, the services.
 */
import { eventCodec } from '@buergerkoffer/shared/event-sourcing';
import { z } from 'zod';

const services = z.array(z.string().min(1)).min(1);

export const demandRecorded = z.object({
  type: z.literal('DemandRecorded'),
  data: z.object({
    caseId: z.uuid(),
    applicantSubjectId: z.uuid(),
    requestedServices: services,
    groupRequestId: z.uuid().optional(),
    institutionId: z.uuid().optional(),
    recordedAt: z.iso.datetime(),
  }),
});
export const demandServicesChanged = z.object({
  type: z.literal('DemandServicesChanged'),
  data: z.object({ caseId: z.uuid(), requestedServices: services, changedAt: z.iso.datetime() }),
});
export const demandApproved = z.object({
  type: z.literal('DemandApproved'),
  data: z.object({ caseId: z.uuid(), approvedAt: z.iso.datetime() }),
});
export const DEMAND_CLOSE_REASONS = ['case-withdrawn', 'case-rejected'] as const;
export const demandClosed = z.object({
  type: z.literal('DemandClosed'),
  data: z.object({ caseId: z.uuid(), reason: z.enum(DEMAND_CLOSE_REASONS), closedAt: z.iso.datetime() }),
});
export const demandPlanned = z.object({
  type: z.literal('DemandPlanned'),
  data: z.object({ caseId: z.uuid(), visitId: z.uuid(), plannedAt: z.iso.datetime() }),
});
export const demandReleased = z.object({
  type: z.literal('DemandReleased'),
  data: z.object({
    caseId: z.uuid(),
    visitId: z.uuid(),
    reason: z.enum(['visit-cancelled', 'participant-removed', 'booking-refused']),
    releasedAt: z.iso.datetime(),
  }),
});

export const demandEvent = z.discriminatedUnion('type', [
  demandRecorded,
  demandServicesChanged,
  demandApproved,
  demandClosed,
  demandPlanned,
  demandReleased,
]);
export type DemandEvent = z.infer<typeof demandEvent>;
export const demandCodec = eventCodec(demandEvent);
