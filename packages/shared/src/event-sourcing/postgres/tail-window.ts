/**
 * The store's newest events, read once for every subscription of the process. Subscriptions that keep up with the
 * store all ask for the same few new events after each append, each with its own filter; without this, every one of
 * them queried the database per append (on the embedded engine, one connection, they queued behind each other and
 * behind the requests). The window reads what is new once, unfiltered, and answers each subscription from memory
 * with its filter applied; a subscription behind the window (catching up, or after a pause) reads the store itself.
 *
 * The window holds what the store holds (personal data sealed as stored), in memory, for at most `capacity` events.
 * It is contiguous: every event with `start < position ≤ end` is in it, so a page from it is complete up to `end`.
 * A hard delete clears the window of the process that deleted; another process's window may still hand the deleted
 * events to a subscription that re-reads them within the window (as a subscription that had already read them
 * before the delete would have) — hard deletes are for streams that must never be written again, not for erasure,
 * which works on the keys (personal data is sealed per subject).
 */
import type { SubscriptionPage } from '../catch-up-subscription.ts';
import type { EventFilter, StoredEvent } from '../types.ts';

/** Reads every event after `after` up to `upTo` (inclusive), at most `limit`, unfiltered, in position order. */
type ReadRange = (after: number, upTo: number, limit: number) => Promise<StoredEvent[]>;

/** The filter of `filterSql`, applied to an event in memory. */
export function matches(event: StoredEvent, filter: EventFilter | undefined): boolean {
  if (!filter) return true;
  const { streamCategories, eventTypePrefixes, tenantIds } = filter;
  if (streamCategories && streamCategories.length > 0) {
    const dash = event.stream.indexOf('-');
    if (!streamCategories.includes(dash < 0 ? event.stream : event.stream.slice(0, dash))) return false;
  }
  if (eventTypePrefixes && eventTypePrefixes.length > 0) {
    if (!eventTypePrefixes.some((prefix) => event.type.startsWith(prefix))) return false;
  }
  if (tenantIds && tenantIds.length > 0) {
    if (!tenantIds.includes(String(event.metadata.tenantId))) return false;
  }
  return true;
}

export class TailWindow {
  readonly #read: ReadRange;
  readonly #capacity: number;
  #events: StoredEvent[] = [];
  /** Exclusive lower bound of what the window covers; undefined until the first read (nothing covered). */
  #start: number | undefined;
  #end = 0;
  /** Counts resets and clears: an extension read before one does not add what it read afterwards. */
  #generation = 0;
  #extending: Promise<void> | undefined;

  constructor(read: ReadRange, capacity: number) {
    this.#read = read;
    this.#capacity = capacity;
  }

  /**
   * The page a subscription at `after` asks for, from the window, or undefined when the window cannot answer it
   * (the subscription is behind it): then the caller reads the store with the filter.
   */
  async page(after: number, upTo: number, limit: number, filter?: EventFilter): Promise<SubscriptionPage | undefined> {
    // Far behind (catching up, or a burst of appends): its own filtered read is cheaper than the whole range.
    if (upTo - after > this.#capacity) return undefined;
    if (this.#start === undefined || after > this.#end) {
      // The first subscription to keep up (or one ahead of an old window) starts the window where it is.
      this.#events = [];
      this.#start = after;
      this.#end = after;
      this.#generation++;
    }
    if (after < this.#start) return undefined;
    while (this.#end < upTo) {
      // One reader for everyone waiting on the same new events.
      this.#extending ??= this.#extend(upTo).finally(() => {
        this.#extending = undefined;
      });
      await this.#extending;
      if (this.#start === undefined || after < this.#start) return undefined; // trimmed past it meanwhile
    }
    const events: StoredEvent[] = [];
    let index = this.#firstAfter(after);
    for (; index < this.#events.length && events.length < limit; index++) {
      const event = this.#events[index] as StoredEvent;
      if (event.position > upTo) break;
      if (matches(event, filter)) events.push(event);
    }
    const last = events.at(-1);
    return { events, through: events.length < limit || !last ? Math.min(upTo, this.#end) : last.position };
  }

  /** Forgets everything (events were removed from the store: a hard delete). */
  clear(): void {
    this.#events = [];
    this.#start = undefined;
    this.#end = 0;
    this.#generation++;
  }

  async #extend(upTo: number): Promise<void> {
    const from = this.#end;
    const generation = this.#generation;
    const read = await this.#read(from, upTo, this.#capacity);
    // Reset or cleared meanwhile (e.g. a hard delete: what was read may hold its events): the next page starts over.
    if (this.#generation !== generation || this.#end !== from || this.#start === undefined) return;
    this.#events.push(...read);
    this.#end = read.length < this.#capacity ? upTo : (read.at(-1)?.position ?? upTo);
    const excess = this.#events.length - this.#capacity;
    if (excess > 0) {
      this.#start = (this.#events[excess - 1] as StoredEvent).position;
      this.#events.splice(0, excess);
    }
  }

  /** Index of the first event after `position` (binary search: the window is in position order). */
  #firstAfter(position: number): number {
    let low = 0;
    let high = this.#events.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((this.#events[middle] as StoredEvent).position <= position) low = middle + 1;
      else high = middle;
    }
    return low;
  }
}
