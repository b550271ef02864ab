/**
 * intake.case.v1 → the assessment: a case opened or changed is pre-checked against the rule set in force on the day
 * of the event; a withdrawn case closes its assessment. Idempotent: the command's idempotency key is the event's id,
 * so a redelivered or replayed event changes nothing.
 */
import { intakeCaseContracts, intakeCaseEvent, intakeCaseOpenedV1 } from '@buergerkoffer/shared/contracts';
import { type EventStore, handleCommand, loadStream, type StoredEvent } from '@buergerkoffer/shared/event-sourcing';
import { type ConsumedEvent, idempotentHandler, type MessageHandler } from '@buergerkoffer/shared/messaging';
import type { PersonalDataProtector } from '@buergerkoffer/shared/privacy';
import { precheck } from '../../rules/precheck.ts';
import { ruleSetInForce } from '../../rules/rule-set.decider.ts';
import { loadRuleSets } from '../../rules/rule-set.store.ts';
import type { AssessmentCommand } from '../assessment.commands.ts';
import { assessmentDecider, toAssessmentStreamName } from '../assessment.decider.ts';
import { type AssessmentEvent, assessmentCodec, mobilityClaims, type PrecheckInputData } from '../assessment.events.ts';

export const ELIGIBILITY_GROUP = 'eligibility';

/** The kind of institution as the opening's v1 contract has it in clear (v2 seals it; opened, it reads the same). */
const institutionKind = intakeCaseOpenedV1.shape.institutionKind;

/** The assessment's events as the store with personal data opened reads them (see assessmentCodec). */
export const decodeAssessmentEvent: (event: StoredEvent) => AssessmentEvent | undefined = assessmentCodec.decode;

export interface ConsumerDeps {
  /** Eligibility's own store (personal data sealed on the way in). */
  readonly store: EventStore;
  /** Opens the sealed fields of intake's events (the shared key store). */
  readonly protector: PersonalDataProtector;
}

export function caseEventsHandler(deps: ConsumerDeps): MessageHandler {
  return idempotentHandler(ELIGIBILITY_GROUP, intakeCaseContracts, async (consumed: ConsumedEvent) => {
    const { event, idempotencyKey, causationId } = consumed;
    // Checked against the contract already (a violation is dead-lettered): read through it for its type.
    const received = intakeCaseEvent.parse({ type: event.type, data: event.data });
    const { caseId } = received.data;
    const stream = toAssessmentStreamName(caseId);
    const context = {
      tenantId: event.tenant,
      actor: { id: 'eligibility-precheck', role: 'system' },
      caseId,
      causationId,
      idempotencyKey,
    };
    // A case's opening comes first on its partition: its assessment stream is new (a redelivery finds its own
    // events through the conflict and answers as replayed).
    const expectNew = event.type.startsWith('intake.case.opened.');
    const run = (command: AssessmentCommand) =>
      handleCommand(
        { store: deps.store, decider: assessmentDecider, decode: decodeAssessmentEvent, stream, retries: 5, expectNew },
        command,
        context,
      );
    const checkWith = async (
      input: PrecheckInputData,
      applicantSubjectId: string | undefined,
      institutionId: string | undefined,
    ) => {
      const { state: ruleSets } = await loadRuleSets(deps.store, event.tenant);
      const result = precheck(
        {
          requestedServices: input.requestedServices,
          mobility: input.mobility,
          ...(institutionId || input.institutionKind ? { institution: { kind: input.institutionKind } } : {}),
        },
        ruleSetInForce(ruleSets, event.time.slice(0, 10)),
      );
      const checked = { ...result, rules: [...result.rules] };
      await run({ type: 'RecordPrecheck', caseId, applicantSubjectId, input, precheck: checked, now: event.time });
    };

    switch (received.type) {
      case 'intake.case.opened.v1':
      case 'intake.case.opened.v2':
      case 'intake.case.opened.v3': {
        const { data } = received;
        // The seal is bound to the event's id and the field's place, which the relay kept. Erased, or not
        // authenticating, the claims read as a marker: none to check.
        const claims = mobilityClaims.safeParse(
          await deps.protector.open(event.tenant, event.id, data.mobility, 'mobility'),
        );
        // Sealed since v2 (in clear in v1).
        const kind = institutionKind.safeParse(
          data.institutionKind === undefined
            ? undefined
            : await deps.protector.open(event.tenant, event.id, data.institutionKind, 'institutionKind'),
        );
        const input: PrecheckInputData = {
          requestedServices: data.requestedServices,
          ...(claims.success && !data.institutionId ? { mobility: claims.data } : {}),
          ...(kind.success && kind.data ? { institutionKind: kind.data } : {}),
        };
        await checkWith(input, data.applicantSubjectId, data.institutionId);
        return;
      }
      case 'intake.case.services-changed.v1': {
        const { state } = await loadStream(deps.store, assessmentDecider, decodeAssessmentEvent, stream);
        if (state.status === 'none') return; // the opening event comes first on the same partition
        await checkWith(
          { ...state.input, requestedServices: received.data.requestedServices },
          state.applicantSubjectId,
          undefined,
        );
        return;
      }
      case 'intake.case.withdrawn.v1':
      case 'intake.case.withdrawn.v2':
        await run({ type: 'CloseAssessment', caseId, reason: 'case withdrawn', now: event.time });
        return;
      case 'intake.case.evidence-attached.v1':
      case 'intake.case.evidence-attached.v2':
        return; // evidence is for the officer to look at; nothing to pre-check
      default: {
        const _unhandled: never = received;
        return;
      }
    }
  });
}
