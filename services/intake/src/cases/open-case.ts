/**
 * Opening a case, as the routes for individuals and for group requests both need it: a reference unique per tenant
 * and year, the probable-duplicate flag, then the OpenCase command. With `idempotencyKey`, a repeat (e.g. a group
 * request retried after a crash) finds its case opened already and answers it without a new reference.
 */
import {
  type EventStore,
  handleCommand,
  type Sql,
  type StoredEvent,
  uuidv7,
} from '@buergerkoffer/shared/event-sourcing';
import type { Principal } from '@buergerkoffer/shared/http';
import type { CaseCommand } from './case.commands.ts';
import { caseDecider, toCaseStreamName } from './case.decider.ts';
import type { CaseEvent } from './case.events.ts';
import { duplicateKeyOf, findOpenDuplicates } from './case-list.projection.ts';
import { allocateReference } from './case-reference.ts';

export interface OpenCaseDeps {
  readonly store: EventStore;
  readonly sql: Sql;
  readonly duplicateSecret: Buffer;
  readonly now: () => Date;
}

export type OpenCaseInput = Omit<
  Extract<CaseCommand, { type: 'OpenCase' }>,
  'type' | 'caseId' | 'reference' | 'applicant' | 'possibleDuplicateOf' | 'now'
> & { readonly applicant: Omit<Extract<CaseCommand, { type: 'OpenCase' }>['applicant'], 'subjectId'> };

const CASE_EVENT_TYPES = new Set([
  'CaseOpened',
  'ServicesChanged',
  'EvidenceAttached',
  'ContactPersonUpdated',
  'CaseWithdrawn',
]);
export const decodeCaseEvent = (event: StoredEvent): CaseEvent | undefined =>
  CASE_EVENT_TYPES.has(event.type) ? ({ type: event.type, data: event.data } as CaseEvent) : undefined;

export async function openCase(
  deps: OpenCaseDeps,
  principal: Principal,
  input: OpenCaseInput,
  options: { caseId?: string; idempotencyKey?: string; correlationId?: string } = {},
): Promise<{ caseId: string; reference: string; revision: number }> {
  const now = deps.now();
  const caseId = options.caseId ?? uuidv7(now.getTime());
  const stream = toCaseStreamName(caseId);
  const actor = { id: principal.subject, role: principal.roles[0] ?? 'unknown' };
  const [existing] = await deps.store.readStream(stream, { limit: 1 });
  if (existing?.type === 'CaseOpened' && existing.metadata.tenantId === principal.tenantId) {
    return {
      caseId,
      reference: String((existing.data as { reference: string }).reference),
      revision: existing.revision,
    };
  }
  const reference = await allocateReference(deps.store, {
    tenantId: principal.tenantId,
    caseId,
    year: now.getUTCFullYear(),
    actor,
  });
  // A probable duplicate (same normalised name and birth date, still open) is flagged, not refused.
  const possibleDuplicateOf = await findOpenDuplicates(
    deps.sql,
    principal.tenantId,
    duplicateKeyOf(deps.duplicateSecret, principal.tenantId, input.applicant),
  );
  const result = await handleCommand(
    { store: deps.store, decider: caseDecider, decode: decodeCaseEvent, stream },
    {
      type: 'OpenCase',
      ...input,
      caseId,
      reference,
      applicant: { ...input.applicant, subjectId: uuidv7(now.getTime()) },
      possibleDuplicateOf,
      now: now.toISOString(),
    },
    {
      tenantId: principal.tenantId,
      actor,
      caseId,
      ...(options.correlationId ? { correlationId: options.correlationId } : {}),
      ...(options.idempotencyKey ? { idempotencyKey: options.idempotencyKey } : {}),
    },
  );
  return { caseId, reference, revision: result.revision };
}
