/**
 * intake.case.v1 and eligibility.assessment.v1 → the demand: a case opened (its services, its group request) and its
 * necessity approved is to be planned; services changed follow; a withdrawal or a rejection takes it off the plan —
 * and off the visit it was planned on (the last participant leaving cancels the visit). Idempotent: every command's
 * key is the message's id, so a redelivered event changes nothing.
 */
import {
  eligibilityApprovedV1,
  eligibilityApprovedV2,
  eligibilityAssessmentContracts,
  eligibilityRejectedV2,
  intakeCaseContracts,
  intakeCaseEvent,
} from '@buergerkoffer/shared/contracts';
import { type EventStore, handleCommand, loadStream } from '@buergerkoffer/shared/event-sourcing';
import { type ConsumedEvent, idempotentHandler, type MessageHandler } from '@buergerkoffer/shared/messaging';
import { VisitActionNotAllowed } from '../../visits/visit.errors.ts';
import { onVisit } from '../../visits/visit-booking.ts';
import { type DemandCommand, demandDecider, toDemandStreamName } from '../demand.decider.ts';
import { demandCodec } from '../demand.events.ts';

export const SCHEDULING_GROUP = 'scheduling';

/** Every type the consumer may meet on its two topics. */
export const consumedContracts = { ...intakeCaseContracts, ...eligibilityAssessmentContracts } as const;

export interface DemandConsumerDeps {
  readonly store: EventStore;
  readonly now: () => Date;
}

export function caseEventsHandler(deps: DemandConsumerDeps): MessageHandler {
  return idempotentHandler(SCHEDULING_GROUP, consumedContracts, async (consumed: ConsumedEvent) => {
    const { event, idempotencyKey, causationId } = consumed;
    const context = {
      tenantId: event.tenant,
      actor: { id: 'scheduling-demand', role: 'system' },
      causationId,
      idempotencyKey,
    };
    const run = (caseId: string, command: DemandCommand) =>
      handleCommand(
        {
          store: deps.store,
          decider: demandDecider,
          decode: demandCodec.decode,
          stream: toDemandStreamName(caseId),
          retries: 5,
        },
        command,
        // Not in the case's history: the facts are there from their sources (opened, approved, withdrawn).
        context,
      );
    /** Off the plan, and off its visit. */
    const close = async (caseId: string, reason: 'case-withdrawn' | 'case-rejected') => {
      await run(caseId, { type: 'Close', caseId, reason, now: event.time });
      const { state } = await loadStream(deps.store, demandDecider, demandCodec.decode, toDemandStreamName(caseId));
      if (!state.visitId) return;
      await onVisit(
        deps,
        state.visitId,
        { type: 'RemoveParticipant', visitId: state.visitId, caseId, reason, by: 'scheduling-demand', now: event.time },
        { ...context, idempotencyKey: `${idempotencyKey}:visit` },
      ).catch((error: unknown) => {
        // A visit still being booked: once planned, the visit manager takes the closed case off it.
        if (!(error instanceof VisitActionNotAllowed)) throw error;
      });
    };

    if (event.type.startsWith('intake.case.')) {
      const received = intakeCaseEvent.parse({ type: event.type, data: event.data });
      const { caseId } = received.data;
      switch (received.type) {
        case 'intake.case.opened.v1':
        case 'intake.case.opened.v2':
        case 'intake.case.opened.v3':
          await run(caseId, {
            type: 'RecordDemand',
            caseId,
            applicantSubjectId: received.data.applicantSubjectId,
            requestedServices: received.data.requestedServices,
            groupRequestId: received.data.groupRequestId,
            institutionId: received.data.institutionId,
            now: event.time,
          });
          return;
        case 'intake.case.services-changed.v1':
          await run(caseId, {
            type: 'ChangeServices',
            caseId,
            requestedServices: received.data.requestedServices,
            now: event.time,
          });
          return;
        case 'intake.case.withdrawn.v1':
        case 'intake.case.withdrawn.v2':
          await close(caseId, 'case-withdrawn');
          return;
        case 'intake.case.evidence-attached.v1':
        case 'intake.case.evidence-attached.v2':
          return;
        default: {
          const _unhandled: never = received;
          return;
        }
      }
    }
    switch (event.type) {
      case 'eligibility.assessment.approved.v1':
      case 'eligibility.assessment.approved.v2': {
        const { caseId } = (event.type.endsWith('v1') ? eligibilityApprovedV1 : eligibilityApprovedV2).parse(
          event.data,
        );
        await run(caseId, { type: 'Approve', caseId, now: event.time });
        return;
      }
      case 'eligibility.assessment.rejected.v1':
      case 'eligibility.assessment.rejected.v2':
        await close(eligibilityRejectedV2.pick({ caseId: true }).parse(event.data).caseId, 'case-rejected');
        return;
      default:
        return; // pre-checks and requests for evidence plan nothing
    }
  });
}
