/**
 * Human case references, `MB-<year>-<number>`: unique per tenant and year, without openings waiting on each other.
 *
 * The number of a reference is the revision + 1 of its `CaseReferenceAssigned` event in the tenant's yearly counter
 * stream `caseReference-<tenant>.<year>` (the event names the case it was assigned to). Two references can only be
 * equal if two events of one stream had the same revision, which the store's optimistic concurrency on that one
 * stream rules out — on every adapter (PostgreSQL, PGlite, KurrentDB), with no cross-stream transaction.
 *
 * Why batches (issue 11): each opening used to read the counter and append one event at the revision it read, so
 * n concurrent openings all but one failed, re-read and retried: ~n²/2 appends queued on one stream's lock, 21 s
 * for 40 openings, a 500 beyond 50. Now a process assigns in batches (group commit): at most one append per counter
 * stream is under way in a process, and it carries one event for every opening that was waiting when it started.
 * Openings that arrive meanwhile go into the next append. Processes still race on the stream's revision; the loser
 * appends its whole batch again at the revision the conflict names — a few retries however many openings wait.
 *
 * Gaps: a number is unused only if its case is then not opened (the process died between the two appends, or the
 * case's append failed). The counter event names the case id, so the gap is explained in the store, and a retry
 * with the same Idempotency-Key (the same derived case id) finds the assignment and keeps that reference.
 */
import {
  type Actor,
  type EventStore,
  type EventToAppend,
  eventCodec,
  type StoredEvent,
  uuidv7,
  VersionConflictError,
} from '@buergerkoffer/shared/event-sourcing';
import { z } from 'zod';

export const REFERENCE_ASSIGNED = 'CaseReferenceAssigned';

/** The counter's one event: this reference went to this case. */
export const caseReferenceAssigned = z.object({
  type: z.literal(REFERENCE_ASSIGNED),
  data: z.object({ reference: z.string().regex(/^MB-\d{4}-\d{5,}$/), caseId: z.uuid() }),
});
const referenceCodec = eventCodec(z.discriminatedUnion('type', [caseReferenceAssigned]));

export const referenceStream = (tenantId: string, year: number): string =>
  `caseReference-${tenantId.replace(/[^A-Za-z0-9._:@-]/g, '_')}.${year}`;

export const formatReference = (year: number, number: number): string =>
  `MB-${year}-${String(number).padStart(5, '0')}`;

export interface ReferenceRequest {
  readonly tenantId: string;
  readonly caseId: string;
  readonly year: number;
  readonly actor: Actor;
}

interface Waiting {
  readonly caseId: string;
  readonly actor: Actor;
  readonly resolve: (reference: string) => void;
  readonly reject: (error: unknown) => void;
}

interface Counter {
  readonly stream: string;
  readonly tenantId: string;
  readonly year: number;
  readonly waiting: Waiting[];
  appending: boolean;
}

export interface CaseReferencesOptions {
  /** Most events in one append (default 200). */
  readonly maxBatch?: number;
  /** Appends of one batch before it fails, each after a conflict with another process (default 30). */
  readonly attempts?: number;
}

/** Assigns references on one event store, in batches per counter stream (see the top of this file). */
export class CaseReferences {
  readonly #store: EventStore;
  readonly #maxBatch: number;
  readonly #attempts: number;
  readonly #counters = new Map<string, Counter>();

  constructor(store: EventStore, options: CaseReferencesOptions = {}) {
    this.#store = store;
    this.#maxBatch = options.maxBatch ?? 200;
    this.#attempts = options.attempts ?? 30;
  }

  assign(request: ReferenceRequest): Promise<string> {
    const stream = referenceStream(request.tenantId, request.year);
    let counter = this.#counters.get(stream);
    if (!counter) {
      counter = {
        stream,
        tenantId: request.tenantId,
        year: request.year,
        waiting: [],
        appending: false,
      };
      this.#counters.set(stream, counter);
    }
    const assigned = new Promise<string>((resolve, reject) => {
      counter.waiting.push({ caseId: request.caseId, actor: request.actor, resolve, reject });
    });
    if (!counter.appending) {
      // Drained after the current synchronous run: every opening asked for in it (a group request's residents)
      // goes into the one append.
      counter.appending = true;
      queueMicrotask(() => void this.#drain(counter));
    }
    return assigned;
  }

  async #drain(counter: Counter): Promise<void> {
    counter.appending = true;
    try {
      while (counter.waiting.length > 0) {
        const batch = counter.waiting.splice(0, this.#maxBatch);
        try {
          const first = await this.#append(counter, batch);
          batch.forEach((waiting, index) => {
            waiting.resolve(formatReference(counter.year, first + index));
          });
        } catch (error) {
          for (const waiting of batch) waiting.reject(error);
        }
      }
    } finally {
      counter.appending = false;
    }
  }

  /**
   * Appends one event per waiting opening at the stream's head; answers the first number. The head is read before
   * each append — a read costs far less than an append that fails (it takes the stream's lock), and another process
   * may have appended since this one last did.
   */
  async #append(counter: Counter, batch: readonly Waiting[]): Promise<number> {
    let known: number | undefined;
    for (let attempt = 1; ; attempt++) {
      const revision = known ?? (await this.#headOf(counter.stream));
      const events: EventToAppend[] = batch.map((waiting, index) => ({
        id: uuidv7(),
        type: REFERENCE_ASSIGNED,
        data: { reference: formatReference(counter.year, revision + 2 + index), caseId: waiting.caseId },
        metadata: { tenantId: counter.tenantId, caseId: waiting.caseId, actor: waiting.actor },
      }));
      try {
        await this.#store.append(counter.stream, events, revision < 0 ? 'no-stream' : { revision });
        return revision + 2;
      } catch (error) {
        if (!(error instanceof VersionConflictError) || attempt >= this.#attempts) throw error;
        // Another process appended in between: again at the revision the conflict names (a read where it has none),
        // and from the second conflict in a row after a pause that spreads the processes colliding.
        known = error.actualRevision >= 0 ? error.actualRevision : undefined;
        if (attempt > 1) await new Promise((resolve) => setTimeout(resolve, Math.random() * 5 * Math.min(attempt, 10)));
      }
    }
  }

  async #headOf(stream: string): Promise<number> {
    const [last] = await this.#store.readStream(stream, { direction: 'backwards', limit: 1 });
    if (last) return last.revision;
    // No visible event: a new stream, or one whose events are all hidden (its revisions go on all the same).
    return (await this.#store.getStream(stream))?.revision ?? -1;
  }
}

/**
 * One CaseReferences per event store object: the routes for individuals and for group requests (and any other
 * caller of openCase on that store) share its batches. Sharing is an optimisation only — two allocators on one store
 * (two processes, or two service instances in one) stay correct through the store's concurrency check.
 */
const perStore = new WeakMap<EventStore, CaseReferences>();
export function caseReferencesOf(store: EventStore): CaseReferences {
  let references = perStore.get(store);
  if (!references) {
    references = new CaseReferences(store);
    perStore.set(store, references);
  }
  return references;
}

/** The reference assigned to the case before, among the events naming it (a retry after a crash between the
 *  assignment and the case's own append keeps that reference). */
export function assignedReference(events: readonly StoredEvent[], caseId: string): string | undefined {
  for (const event of events) {
    const assigned = event.stream.startsWith('caseReference-') ? referenceCodec.decode(event) : undefined;
    if (assigned?.data.caseId === caseId) return assigned.data.reference;
  }
  return undefined;
}
