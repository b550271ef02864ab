/**
 * fieldkit.outcome.v1 → the kits: a device the kit's team found faulty on site (`fieldkit.device.fault.v1`, at the
 * check before or after a visit) is reported faulty on the kit (`ReportDeviceFaulty`), exactly as a field officer's
 * report over HTTP is. The availability processor then flags the kit's visits ahead that need the device, and
 * proposals and bookings stop offering it for the services that need it. The other outcome types plan nothing here
 * (for now: issue 16's follow-up will read `fieldkit.service.completed.v1`).
 *
 * Idempotent: the command's key is the message's id and the device (one check finding two devices faulty is
 * published as two messages under the one id of its stored event), so a redelivery is recognised as the same report
 * and changes nothing — even after the device was repaired meanwhile.
 *
 * A fault that cannot apply — the kit unknown here (never registered, or another tenant's), withdrawn, or without
 * that device — is a no-op, logged and counted, never an error: none of these is transient (kits are registered in
 * scheduling before any visit on them reaches a kit, a withdrawal is for good, a kit's devices are fixed at its
 * registration), so a retry would fail the same way each time and, after its retries, dead-letter a message that
 * has nothing to repair. A withdrawn kit's visits were flagged when it was withdrawn, so nothing is lost. A device
 * already faulty records nothing (the decider's own rule: a report sent twice is one report).
 */
import { fieldkitDeviceFaultV1, fieldkitOutcomeContracts } from '@buergerkoffer/shared/contracts';
import { type EventStore, handleCommand, loadStream } from '@buergerkoffer/shared/event-sourcing';
import { type ConsumedEvent, idempotentHandler, type MessageHandler } from '@buergerkoffer/shared/messaging';
import type { z } from 'zod';
import { SCHEDULING_GROUP } from '../../demand/integration/on-case-event.consumer.ts';
import { deviceStatusOf, kitDecider, toKitStreamName } from '../kit.decider.ts';
import { KitWithdrawnError } from '../kit.errors.ts';
import { kitCodec } from '../kit.events.ts';

/** What became of a device fault from the field (the label of the counter). */
export const FAULT_OUTCOMES = [
  /** The device is faulty now (`KitDeviceReportedFaulty` appended). */
  'reported',
  /** It was faulty already: nothing recorded. */
  'already-faulty',
  /** The same message again: its report was recorded before. */
  'redelivered',
  /** No kit of that id in the message's tenant (never registered here, or another tenant's): nothing recorded. */
  'unknown-kit',
  /** The kit was withdrawn for good: nothing recorded. */
  'kit-withdrawn',
  /** The kit has no such device (as registered here): nothing recorded. */
  'device-not-on-kit',
] as const;
export type FaultOutcome = (typeof FAULT_OUTCOMES)[number];

/** Where a fault that did not apply is told (pino's and fastify's loggers fit). */
export interface FaultLogger {
  warn(fields: object, message: string): void;
}

export interface FieldkitOutcomeConsumerDeps {
  /** The store as stored (a kit holds nothing personal). */
  readonly store: EventStore;
  readonly log?: FaultLogger | undefined;
  /** Told the outcome of every device fault handled (a counter). */
  readonly counted?: ((outcome: FaultOutcome) => void) | undefined;
}

const NOT_APPLIED: ReadonlySet<FaultOutcome> = new Set(['unknown-kit', 'kit-withdrawn', 'device-not-on-kit']);

async function reportFault(
  deps: FieldkitOutcomeConsumerDeps,
  consumed: ConsumedEvent,
  fault: z.infer<typeof fieldkitDeviceFaultV1>,
): Promise<FaultOutcome> {
  const { event, idempotencyKey, causationId } = consumed;
  const stream = toKitStreamName(fault.kitId);
  const loaded = await loadStream(deps.store, kitDecider, kitCodec.decode, stream);
  // Another tenant's kit answers as absent: its stream is never written in this tenant's name.
  if (loaded.state.status === 'none' || loaded.tenantId !== event.tenant) return 'unknown-kit';
  if (loaded.state.status === 'withdrawn') return 'kit-withdrawn';
  if (deviceStatusOf(loaded.state, fault.device) === undefined) return 'device-not-on-kit';
  try {
    const result = await handleCommand(
      { store: deps.store, decider: kitDecider, decode: kitCodec.decode, stream, retries: 5, loaded },
      {
        type: 'ReportDeviceFaulty',
        kitId: fault.kitId,
        device: fault.device,
        reportedBy: fault.recordedBy,
        // When the office received it (the kit's capture time is the kit's clock, and the report is the office's).
        now: new Date(event.time).toISOString(),
      },
      {
        tenantId: event.tenant,
        actor: { id: 'scheduling-fieldkit', role: 'system' },
        causationId,
        idempotencyKey: `${idempotencyKey}:${fault.device}`,
      },
    );
    if (result.replayed) return 'redelivered';
    return result.events.length > 0 ? 'reported' : 'already-faulty';
  } catch (error) {
    // Withdrawn between the read and the append (a retry after a concurrent write decides on it).
    if (error instanceof KitWithdrawnError) return 'kit-withdrawn';
    throw error;
  }
}

export function fieldkitOutcomeHandler(deps: FieldkitOutcomeConsumerDeps): MessageHandler {
  return idempotentHandler(SCHEDULING_GROUP, fieldkitOutcomeContracts, async (consumed) => {
    const { event } = consumed;
    switch (event.type) {
      case 'fieldkit.device.fault.v1': {
        const fault = fieldkitDeviceFaultV1.parse(event.data);
        const outcome = await reportFault(deps, consumed, fault);
        deps.counted?.(outcome);
        if (NOT_APPLIED.has(outcome)) {
          deps.log?.warn(
            { messageId: event.id, kitId: fault.kitId, device: fault.device, outcome },
            'device fault from fieldkit not applied',
          );
        }
        return;
      }
      case 'fieldkit.visit.started.v1':
      case 'fieldkit.visit.completed.v1':
      case 'fieldkit.service.completed.v1': // issue 16's follow-up: what was done on site
      case 'fieldkit.service.not-completed.v1':
        return;
      default:
        return;
    }
  });
}
