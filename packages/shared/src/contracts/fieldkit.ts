/**
 * Integration events the fieldkit service publishes on `fieldkit.outcome.v1`: what the kit recorded on site, once it
 * reached the office and was accepted (directly, or on review of a conflict). Visit and service events are published
 * once per participant case, keyed by case id (each case's events keep their order on one partition); a device fault
 * is keyed by the kit. Nothing personal: ids, services, reason codes, the producing authority's reference, fees.
 * Biometrics, photos and PINs never enter the system, so none can be here. Frozen once published.
 */
import { z } from 'zod';
import { KIT_DEVICES, SERVICE_IDS } from './catalogue.ts';

export const FIELDKIT_OUTCOME_TOPIC = 'fieldkit.outcome.v1';
export const FIELDKIT_SOURCE = '/buergerkoffer/fieldkit';

/** Why a service was not completed on site (domain.md, field work). No free text: it may describe health. */
export const NOT_COMPLETED_REASONS = [
  'missing-document',
  'person-unable',
  'absent',
  'device-fault',
  'declined',
] as const;
export type NotCompletedReason = (typeof NOT_COMPLETED_REASONS)[number];
export const PAYMENT_METHODS = ['card', 'cash', 'none'] as const;
export type PaymentMethod = (typeof PAYMENT_METHODS)[number];

const recorded = {
  visitId: z.uuid(),
  kitId: z.uuid(),
  /** The member of staff who recorded it (one of the visit's two). */
  recordedBy: z.uuid(),
  /** When the kit captured it (the kit's clock). */
  capturedAt: z.iso.datetime({ offset: true }),
  /** The conflict review that let it take effect, if it came through one. */
  conflictId: z.uuid().optional(),
};

export const fieldkitVisitStartedV1 = z.object({ ...recorded, caseId: z.uuid() });
export const fieldkitVisitCompletedV1 = z.object({ ...recorded, caseId: z.uuid() });
export const fieldkitServiceCompletedV1 = z.object({
  ...recorded,
  caseId: z.uuid(),
  service: z.enum(SERVICE_IDS),
  /** The reference the producing authority returned (e.g. the ID application number), where the service has one. */
  producerReference: z.string().optional(),
  feeCents: z.number().int().min(0),
  paymentMethod: z.enum(PAYMENT_METHODS),
});
export const fieldkitServiceNotCompletedV1 = z.object({
  ...recorded,
  caseId: z.uuid(),
  service: z.enum(SERVICE_IDS),
  reason: z.enum(NOT_COMPLETED_REASONS),
});
export const fieldkitDeviceFaultV1 = z.object({
  ...recorded,
  device: z.enum(KIT_DEVICES),
  /** At the check before the visit or after it. */
  phase: z.enum(['start', 'end']),
});

/** `ce_type` → schema: what fieldkit publishes (its relay checks each event against these before it sends). */
export const fieldkitOutcomeContracts = {
  'fieldkit.visit.started.v1': fieldkitVisitStartedV1,
  'fieldkit.visit.completed.v1': fieldkitVisitCompletedV1,
  'fieldkit.service.completed.v1': fieldkitServiceCompletedV1,
  'fieldkit.service.not-completed.v1': fieldkitServiceNotCompletedV1,
  'fieldkit.device.fault.v1': fieldkitDeviceFaultV1,
} as const;
