/**
 * Opening a case, as the routes for individuals and for group requests both need it: a reference unique per tenant
 * and year, the probable-duplicate flag, then the OpenCase command.
 *
 * With an Idempotency-Key the case id is derived from it (scoped by tenant and caller; a group request passes the
 * ids it derived itself), so a retry — even after a crash between the store's commit and the key's completion —
 * finds its case and answers the same case id and reference; a retry after a crash between the reference and the
 * case's append keeps the reference assigned then. The key therefore names one case for good: reused after the
 * idempotency record expired (24 h), it answers the case it opened then.
 */
import {
  deterministicId,
  type EventStore,
  handleCommand,
  type Sql,
  type StoredEvent,
  uuidv7,
  VersionConflictError,
} from '@buergerkoffer/shared/event-sourcing';
import type { Principal } from '@buergerkoffer/shared/http';
import type { CaseCommand } from './case.commands.ts';
import { caseDecider, toCaseStreamName } from './case.decider.ts';
import type { CaseEvent } from './case.events.ts';
import { duplicateKeyOf, findOpenDuplicates } from './case-list.projection.ts';
import { assignedReference, caseReferencesOf } from './case-reference.ts';

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

/** The id of the case a keyed request opens: the same tenant, caller and key always name the same case. */
export const caseIdForKey = (principal: Principal, key: string): string =>
  deterministicId('intakeCase', principal.tenantId, principal.subject, key);

/** What opening a case answers (the route puts caseId and reference in its 201). */
export interface OpenedCase {
  readonly caseId: string;
  readonly reference: string;
  readonly revision: number;
}

/** The case as opened, if its CaseOpened is among the events (the caller's tenant's events naming the case). */
function openedIn(events: readonly StoredEvent[], caseId: string): OpenedCase | undefined {
  const stream = toCaseStreamName(caseId);
  for (const event of events) {
    const data = event.data;
    if (
      event.stream === stream &&
      event.type === 'CaseOpened' &&
      typeof data === 'object' &&
      data !== null &&
      !Array.isArray(data) &&
      'reference' in data &&
      typeof data.reference === 'string'
    ) {
      return { caseId, reference: data.reference, revision: event.revision };
    }
  }
  return undefined;
}

export async function openCase(
  deps: OpenCaseDeps,
  principal: Principal,
  input: OpenCaseInput,
  options: { caseId?: string; idempotencyKey?: string; correlationId?: string } = {},
): Promise<OpenedCase> {
  const now = deps.now();
  const key = options.idempotencyKey;
  const caseId = options.caseId ?? (key === undefined ? uuidv7(now.getTime()) : caseIdForKey(principal, key));
  const actor = { id: principal.subject, role: principal.roles[0] ?? 'unknown' };
  const earlierEvents = () => deps.store.readCase(principal.tenantId, caseId, { limit: 20 });
  let reference: string | undefined;
  if (options.caseId !== undefined || key !== undefined) {
    // Possibly a repeat: the case may be open already, or have its reference without being open yet.
    const earlier = await earlierEvents();
    const opened = openedIn(earlier, caseId);
    if (opened) return opened;
    reference = assignedReference(earlier, caseId);
  }
  reference ??= await caseReferencesOf(deps.store).assign({
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
  // A keyed repeat seals the applicant under the same data subject (no second key for one person and case).
  const subjectId = key === undefined ? uuidv7(now.getTime()) : deterministicId('intakeApplicant', caseId);
  try {
    const result = await handleCommand(
      { store: deps.store, decider: caseDecider, decode: decodeCaseEvent, stream: toCaseStreamName(caseId) },
      {
        type: 'OpenCase',
        ...input,
        caseId,
        reference,
        applicant: { ...input.applicant, subjectId },
        possibleDuplicateOf,
        now: now.toISOString(),
      },
      {
        tenantId: principal.tenantId,
        actor,
        caseId,
        ...(options.correlationId ? { correlationId: options.correlationId } : {}),
        ...(key ? { idempotencyKey: key } : {}),
      },
    );
    return { caseId, reference, revision: result.revision };
  } catch (error) {
    // Two runs of one keyed request at once (a retry took over the key of a run that was slow, not dead): the case
    // the first of them opened is the answer of both.
    if (error instanceof VersionConflictError && key !== undefined) {
      const opened = openedIn(await earlierEvents(), caseId);
      if (opened) return opened;
    }
    throw error;
  }
}
