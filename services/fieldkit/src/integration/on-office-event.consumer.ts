/**
 * What the office decided, from the bus: scheduling.visit.v1 → each visit of a kit as the kit works it
 * (`fieldVisit-<visitId>`: planned, rescheduled, cancelled, a participant taken off — each a new manifest version),
 * and intake.case.v1 → who each participant is (`fieldParticipant-<caseId>`, sealed with the applicant's key).
 * Idempotent: every command's event ids come from the message's id, so a redelivery changes nothing.
 */
import {
  INTAKE_CASE_TOPIC,
  intakeCaseContracts,
  intakeCaseEvent,
  isServiceId,
  SCHEDULING_VISIT_TOPIC,
  type ServiceId,
  schedulingParticipantRemovedV1,
  schedulingVisitCancelledV1,
  schedulingVisitContracts,
  schedulingVisitPlannedV1,
  schedulingVisitRescheduledV1,
} from '@buergerkoffer/shared/contracts';
import { deterministicId, type EventStore, handleCommand, type Json } from '@buergerkoffer/shared/event-sourcing';
import { type ConsumedEvent, idempotentHandler, type MessageHandler } from '@buergerkoffer/shared/messaging';
import { ERASED, type PersonalDataProtector, SubjectErasedError, UNREADABLE } from '@buergerkoffer/shared/privacy';
import { z } from 'zod';
import { toParticipantStreamName } from '../participants/participant.ts';
import { fieldVisitDecider, type OfficeCommand } from '../visits/field-visit.decider.ts';
import { fieldVisitCodec, toFieldVisitStreamName } from '../visits/field-visit.events.ts';

export const FIELDKIT_GROUP = 'fieldkit';
export const CONSUMED_TOPICS = [SCHEDULING_VISIT_TOPIC, INTAKE_CASE_TOPIC];
export const consumedContracts = { ...schedulingVisitContracts, ...intakeCaseContracts } as const;

export interface OfficeConsumerDeps {
  /** Fieldkit's store as stored (a visit's events hold nothing personal). */
  readonly store: EventStore;
  /** The same store sealing the participants' data on the way in. */
  readonly personalStore: EventStore;
  /** Opens intake's sealed fields (the shared key store). */
  readonly protector: PersonalDataProtector;
}

const text = z
  .string()
  .min(1)
  .refine((value) => value !== ERASED && value !== UNREADABLE);
const address = z.record(z.string(), z.string());

export function officeEventsHandler(deps: OfficeConsumerDeps): MessageHandler {
  return idempotentHandler(FIELDKIT_GROUP, consumedContracts, async (consumed: ConsumedEvent) => {
    const { event, idempotencyKey, causationId } = consumed;
    const context = {
      tenantId: event.tenant,
      actor: { id: 'fieldkit-office', role: 'system' },
      causationId,
      idempotencyKey,
    };
    // Scheduling publishes one message per participant case of one stored event, all with that event's id: the key
    // names the case too, or the second resident's planning would read as a redelivery of the first's.
    const onVisit = (visitId: string, caseId: string, command: OfficeCommand) =>
      handleCommand(
        {
          store: deps.store,
          decider: fieldVisitDecider,
          decode: fieldVisitCodec.decode,
          stream: toFieldVisitStreamName(visitId),
          retries: 5,
        },
        command,
        // Not in the case's history: scheduling's own events are.
        { ...context, idempotencyKey: `${idempotencyKey}:${caseId}` },
      );
    const services = (ids: readonly string[]): ServiceId[] => ids.filter(isServiceId);

    if (event.type.startsWith('intake.case.')) {
      const received = intakeCaseEvent.parse({ type: event.type, data: event.data });
      if (!received.type.startsWith('intake.case.opened.')) return;
      const data = received.data as z.infer<(typeof intakeCaseContracts)['intake.case.opened.v3']> &
        Partial<Pick<z.infer<(typeof intakeCaseContracts)['intake.case.opened.v3']>, 'applicant'>>;
      const open = async (path: 'givenNames' | 'familyName' | 'birthDate' | 'address') => {
        const sealed = data.applicant?.[path];
        return sealed === undefined
          ? undefined
          : deps.protector.open(event.tenant, event.id, sealed as unknown as Json, `applicant.${path}`);
      };
      const [givenNames, familyName, birthDate, where] = await Promise.all([
        open('givenNames'),
        open('familyName'),
        open('birthDate'),
        open('address'),
      ]);
      const person = {
        ...(text.safeParse(givenNames).success ? { givenNames: givenNames as string } : {}),
        ...(text.safeParse(familyName).success ? { familyName: familyName as string } : {}),
        ...(text.safeParse(birthDate).success ? { birthDate: birthDate as string } : {}),
        ...(address.safeParse(where).success ? { address: where as Record<string, string> } : {}),
      };
      const registered = (applicant: Record<string, unknown>) => ({
        id: deterministicId(idempotencyKey, 'participant'),
        type: 'ParticipantRegistered',
        data: {
          caseId: data.caseId,
          reference: data.reference,
          applicant: { subjectId: data.applicantSubjectId, ...applicant },
          registeredAt: event.time,
        } as Json,
        metadata: { tenantId: event.tenant, actor: context.actor, causationId, idempotencyKey },
      });
      const stream = toParticipantStreamName(data.caseId);
      await deps.personalStore.append(stream, [registered(person)]).catch(async (error: unknown) => {
        // Erased before fieldkit heard of the case: who it was stays unknown here too.
        if (!(error instanceof SubjectErasedError)) throw error;
        await deps.personalStore.append(stream, [registered({})]);
      });
      return;
    }
    switch (event.type) {
      case 'scheduling.visit.planned.v1': {
        const data = schedulingVisitPlannedV1.parse(event.data);
        await onVisit(data.visitId, data.caseId, {
          type: 'Assign',
          visitId: data.visitId,
          kitId: data.kitId,
          staffIds: data.staffIds,
          start: data.start,
          end: data.end,
          caseId: data.caseId,
          services: services(data.services),
          groupVisit: data.groupVisit,
          now: event.time,
        });
        return;
      }
      case 'scheduling.visit.rescheduled.v1': {
        const data = schedulingVisitRescheduledV1.parse(event.data);
        await onVisit(data.visitId, data.caseId, { type: 'Reschedule', ...data, now: event.time });
        return;
      }
      case 'scheduling.visit.cancelled.v1': {
        const data = schedulingVisitCancelledV1.parse(event.data);
        await onVisit(data.visitId, data.caseId, {
          type: 'Cancel',
          visitId: data.visitId,
          reason: data.reason,
          now: event.time,
        });
        return;
      }
      case 'scheduling.visit.participant-removed.v1': {
        const data = schedulingParticipantRemovedV1.parse(event.data);
        await onVisit(data.visitId, data.caseId, {
          type: 'RemoveParticipant',
          visitId: data.visitId,
          caseId: data.caseId,
          reason: data.reason,
          now: event.time,
        });
        return;
      }
      default:
        // Confirmations and flags for rescheduling change nothing the kit works on.
        return;
    }
  });
}
