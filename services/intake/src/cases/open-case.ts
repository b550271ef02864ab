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
import { type CaseEvent, caseCodec } from './case.events.ts';
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

/** The case's events as the store with personal data opened reads them (see caseCodec). */
export const decodeCaseEvent: (event: StoredEvent) => CaseEvent | undefined = caseCodec.decode;

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
    const decoded = event.stream === stream ? decodeCaseEvent(event) : undefined;
    if (decoded?.type === 'CaseOpened') return { caseId, reference: decoded.data.reference, revision: event.revision };
  }
  return undefined;
}

export interface OpenCaseOptions {
  readonly caseId?: string;
  readonly idempotencyKey?: string;
  readonly correlationId?: string;
}

export function openCase(
  deps: OpenCaseDeps,
  principal: Principal,
  input: OpenCaseInput,
  options: OpenCaseOptions = {},
): Promise<OpenedCase> {
  return openCases(deps, principal, [{ input, options }]).then(([opened]) => opened as OpenedCase);
}

/**
 * Opens several cases for one caller in a few statements, not a few per case (a group request opens up to 60):
 * one reference append for all, one duplicate lookup for all, then one append per case, none read first.
 * `fresh`: the caller knows no earlier run of these requests got as far as a reference (a group request whose own
 * event was new): the look for an earlier case or reference is skipped.
 */
export async function openCases(
  deps: OpenCaseDeps,
  principal: Principal,
  openings: readonly { readonly input: OpenCaseInput; readonly options?: OpenCaseOptions }[],
  { fresh = false }: { fresh?: boolean } = {},
): Promise<OpenedCase[]> {
  const now = deps.now();
  const actor = { id: principal.subject, role: principal.roles[0] ?? 'unknown' };
  const year = now.getUTCFullYear();
  const planned = await Promise.all(
    openings.map(async ({ input, options = {} }) => {
      const key = options.idempotencyKey;
      const caseId = options.caseId ?? (key === undefined ? uuidv7(now.getTime()) : caseIdForKey(principal, key));
      const earlierEvents = () => deps.store.readCase(principal.tenantId, caseId, { limit: 20 });
      // Possibly a repeat: the case may be open already, or have its reference without being open yet.
      const repeat = !fresh && (options.caseId !== undefined || key !== undefined);
      const earlier = repeat ? await earlierEvents() : [];
      return {
        input,
        options,
        key,
        caseId,
        earlierEvents,
        opened: openedIn(earlier, caseId),
        reference: assignedReference(earlier, caseId),
      };
    }),
  );
  const toOpen = planned.filter((plan) => plan.opened === undefined);
  // All references in one batch (the allocator appends every waiting request at once), in the order given.
  const references = caseReferencesOf(deps.store);
  const assigned = await Promise.all(
    toOpen.map(
      (plan) => plan.reference ?? references.assign({ tenantId: principal.tenantId, caseId: plan.caseId, year, actor }),
    ),
  );
  // A probable duplicate (same normalised name and birth date, still open) is flagged, not refused.
  const duplicateKeys = toOpen.map((plan) =>
    duplicateKeyOf(deps.duplicateSecret, principal.tenantId, plan.input.applicant),
  );
  const duplicates = await findOpenDuplicates(deps.sql, principal.tenantId, duplicateKeys);
  const results = new Map<string, OpenedCase>();
  for (const [index, plan] of toOpen.entries()) {
    const reference = assigned[index] as string;
    const { key } = plan;
    // A keyed repeat seals the applicant under the same data subject (no second key for one person and case).
    const subjectId = key === undefined ? uuidv7(now.getTime()) : deterministicId('intakeApplicant', plan.caseId);
    try {
      const result = await handleCommand(
        {
          store: deps.store,
          decider: caseDecider,
          decode: decodeCaseEvent,
          stream: toCaseStreamName(plan.caseId),
          // No CaseOpened among its events (or a new id): the case stream is new, or a concurrent run opens it.
          expectNew: true,
        },
        {
          type: 'OpenCase',
          ...plan.input,
          caseId: plan.caseId,
          reference,
          applicant: { ...plan.input.applicant, subjectId },
          possibleDuplicateOf: [
            ...(duplicates.get(duplicateKeys[index] as string) ?? []),
            // Earlier openings of this batch with the same key (two residents alike in one group request).
            ...toOpen
              .slice(0, index)
              .flatMap((earlier, at) => (duplicateKeys[at] === duplicateKeys[index] ? [earlier.caseId] : [])),
          ],
          now: now.toISOString(),
        },
        {
          tenantId: principal.tenantId,
          actor,
          caseId: plan.caseId,
          ...(plan.options.correlationId ? { correlationId: plan.options.correlationId } : {}),
          ...(key ? { idempotencyKey: key } : {}),
        },
      );
      results.set(plan.caseId, { caseId: plan.caseId, reference, revision: result.revision });
    } catch (error) {
      // Two runs of one keyed request at once (a retry took over the key of a run that was slow, not dead): the case
      // the first of them opened is the answer of both.
      if (error instanceof VersionConflictError && key !== undefined) {
        const opened = openedIn(await plan.earlierEvents(), plan.caseId);
        if (opened) {
          results.set(plan.caseId, opened);
          continue;
        }
      }
      throw error;
    }
  }
  return planned.map((plan) => plan.opened ?? (results.get(plan.caseId) as OpenedCase));
}
