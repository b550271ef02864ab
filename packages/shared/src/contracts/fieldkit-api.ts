/**
 * The fieldkit HTTP contract: the day's manifest a kit pulls, the records it makes on site, the sync batch and its
 * per-item answers. Shared by the fieldkit service (which validates and documents with it) and the kit client
 * (apps/kit-client, which imports nothing else of the service).
 *
 * What never enters: biometrics, photos and PINs (PAuswG §26) travel from the kit to the document producer through
 * the certified channel; this system keeps the producer's reference only. Every record is a strict object, so a
 * `photo`, `fingerprint`, `image` or `pin` field is refused by name; the one free-form value, the producer's
 * reference, is short and must contain a letter (so neither image data nor a PIN fits).
 */
import { z } from 'zod';
import { KIT_DEVICES, SERVICE_IDS } from './catalogue.ts';
import { NOT_COMPLETED_REASONS, PAYMENT_METHODS } from './fieldkit.ts';

/** Most items in one sync batch. */
export const MAX_SYNC_ITEMS = 1_000;

/** A kit's device id (the notebook's own name, e.g. `bk-03-nb`). */
export const deviceIdSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/, 'letters, digits, . _ : - (≤ 64)');
/** The producing authority's reference (an application number): 6–40 characters, at least one letter. */
export const producerReferenceSchema = z
  .string()
  .regex(
    /^(?=[^A-Za-z]*[A-Za-z])[A-Za-z0-9][A-Za-z0-9./-]{5,39}$/,
    "the producing authority's reference: 6–40 letters, digits, . / -, at least one letter",
  );

const common = {
  /** The client's id of this record (UUIDv7, made once when it was recorded): the idempotency key of the sync. */
  submissionId: z.uuid({ version: 'v7' }),
  deviceId: deviceIdSchema,
  /** The manifest version of the visit the record was made on (`visits[].version` of the manifest). */
  baseVersion: z.number().int().min(0),
  capturedAt: z.iso.datetime({ offset: true }),
  /** The kit's own sequence number: 1, 2, 3 … per device, in the order recorded. */
  sequence: z.number().int().min(1),
  visitId: z.uuid(),
  /** The member of staff recording it (one of the visit's two field staff). */
  recordedBy: z.uuid(),
};

export const visitStartedRecord = z.strictObject({ ...common, kind: z.literal('visit-started') });
export const visitEndedRecord = z.strictObject({ ...common, kind: z.literal('visit-ended') });
export const deviceCheckRecord = z.strictObject({
  ...common,
  kind: z.literal('device-check'),
  phase: z.enum(['start', 'end']),
  devices: z
    .array(z.strictObject({ device: z.enum(KIT_DEVICES), status: z.enum(['ok', 'faulty']) }))
    .min(1)
    .max(KIT_DEVICES.length)
    .refine((devices) => new Set(devices.map((d) => d.device)).size === devices.length, 'each device once'),
});
export const serviceCompletedRecord = z.strictObject({
  ...common,
  kind: z.literal('service-completed'),
  caseId: z.uuid(),
  service: z.enum(SERVICE_IDS),
  producerReference: producerReferenceSchema.optional(),
  feeCents: z.number().int().min(0).max(100_000),
  paymentMethod: z.enum(PAYMENT_METHODS),
});
export const serviceNotCompletedRecord = z.strictObject({
  ...common,
  kind: z.literal('service-not-completed'),
  caseId: z.uuid(),
  service: z.enum(SERVICE_IDS),
  reason: z.enum(NOT_COMPLETED_REASONS),
});

/** One on-site record, as the kit keeps and sends it. */
export const syncRecord = z.discriminatedUnion('kind', [
  visitStartedRecord,
  visitEndedRecord,
  deviceCheckRecord,
  serviceCompletedRecord,
  serviceNotCompletedRecord,
]);
export type SyncRecord = z.infer<typeof syncRecord>;
export type SyncRecordKind = SyncRecord['kind'];

/**
 * The sync batch. Items are checked one by one (an invalid one is answered `rejected`, naming its fields, and the
 * others go on), so the body's schema takes any object per item; each is documented as a SyncRecord.
 */
export const syncRequest = z.strictObject({
  items: z
    .array(z.record(z.string(), z.unknown()).meta({ description: 'a SyncRecord (checked per item)' }))
    .min(1)
    .max(MAX_SYNC_ITEMS),
});
export type SyncRequest = z.infer<typeof syncRequest>;

export const conflictSeverity = z.enum(['soft', 'hard']);

/** The answer a submission got when it was first taken in: what a duplicate is answered with again. */
export const firstAnswer = z.discriminatedUnion('status', [
  z.object({ status: z.literal('accepted'), visitId: z.string(), sequence: z.number().int() }),
  z.object({
    status: z.literal('recorded-as-conflict'),
    visitId: z.string(),
    sequence: z.number().int(),
    conflictId: z.string(),
    severity: conflictSeverity,
    fields: z.array(z.string()),
  }),
]);
export type FirstAnswer = z.infer<typeof firstAnswer>;

/** Per item, in the order sent. */
export const syncItemResult = z.discriminatedUnion('status', [
  z.object({ index: z.number().int(), submissionId: z.string(), ...firstAnswer.options[0].shape }),
  z.object({ index: z.number().int(), submissionId: z.string(), ...firstAnswer.options[1].shape }),
  z.object({
    index: z.number().int(),
    submissionId: z.string(),
    status: z.literal('duplicate'),
    /** The answer the first upload of this submission got. */
    first: firstAnswer,
  }),
  z.object({
    index: z.number().int(),
    submissionId: z.string(),
    status: z.literal('conflict'),
    /** submission-id-reused: the id was taken in before with other content (nothing of this item was kept). */
    code: z.literal('submission-id-reused'),
    detail: z.string(),
  }),
  z.object({
    index: z.number().int(),
    /** Absent when the item had no readable submissionId. */
    submissionId: z.string().optional(),
    status: z.literal('rejected'),
    /** The fields at fault, each with why. */
    errors: z.array(z.object({ field: z.string(), message: z.string() })).min(1),
  }),
]);
export type SyncItemResult = z.infer<typeof syncItemResult>;
export type SyncStatus = SyncItemResult['status'];

export const syncResponse = z.object({
  kitId: z.string(),
  results: z.array(syncItemResult),
  /** How many items got each answer. */
  counts: z.object({
    accepted: z.number().int(),
    duplicate: z.number().int(),
    conflict: z.number().int(),
    'recorded-as-conflict': z.number().int(),
    rejected: z.number().int(),
  }),
});
export type SyncResponse = z.infer<typeof syncResponse>;

const manifestService = z.object({
  service: z.enum(SERVICE_IDS),
  name: z.string(),
  /** What the citizen must have ready (the catalogue). */
  citizenBrings: z.string(),
  devices: z.array(z.enum(KIT_DEVICES)),
  /** The fee expected, in cents (the standard fee until fees per tenant exist); null where the city sets it. */
  expectedFeeCents: z.number().int().nullable(),
});
/** A participant as the kit's session may see them: opened, "[withheld]", or "[erased]". */
const manifestParticipant = z.object({
  caseId: z.string(),
  reference: z.string(),
  givenNames: z.string(),
  familyName: z.string(),
  birthDate: z.string(),
  address: z.union([z.string(), z.record(z.string(), z.string())]),
  services: z.array(manifestService),
});
export const manifestVisit = z.object({
  visitId: z.string(),
  /** The visit's manifest version: records made on it carry it as their `baseVersion`. */
  version: z.number().int(),
  status: z.literal('planned'),
  start: z.string(),
  end: z.string(),
  groupVisit: z.boolean(),
  staffIds: z.array(z.string()),
  participants: z.array(manifestParticipant),
  /** Every device the visit's services need. */
  devicesNeeded: z.array(z.enum(KIT_DEVICES)),
});
export const manifestResponse = z.object({
  kitId: z.string(),
  date: z.string(),
  /** The manifest's version (also its ETag): changes whenever a visit of the day or a participant's data does. */
  version: z.string(),
  visits: z.array(manifestVisit),
});
export type Manifest = z.infer<typeof manifestResponse>;
export type ManifestVisit = z.infer<typeof manifestVisit>;

export const conflictResolution = z.enum(['accept-kit', 'keep-office', 'merge']);
/** Why the office decided as it did: a code (free text could describe health). */
export const resolutionReason = z.enum([
  'visit-took-place',
  'office-data-correct',
  'kit-data-corrected',
  'duplicate-record',
  'other',
]);
/** The fields an office may correct when it merges a kit's record with its own knowledge. */
export const mergeable = z.strictObject({
  feeCents: z.number().int().min(0).max(100_000).optional(),
  paymentMethod: z.enum(PAYMENT_METHODS).optional(),
  producerReference: producerReferenceSchema.optional(),
  reason: z.enum(NOT_COMPLETED_REASONS).optional(),
});
export const resolveConflictBody = z
  .strictObject({
    resolution: conflictResolution,
    reason: resolutionReason,
    /** For `merge`: the office's values for these fields of the kit's record. */
    merge: mergeable.optional(),
  })
  .refine((body) => (body.resolution === 'merge') === (body.merge !== undefined), {
    path: ['merge'],
    message: 'merge needs the fields to take from the office, and only merge has them',
  });
export type ResolveConflictBody = z.infer<typeof resolveConflictBody>;
