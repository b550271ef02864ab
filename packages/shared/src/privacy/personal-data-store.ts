/**
 * Seals the personal fields of events on their way into the store and opens them on the way out: a decorator of
 * the EventStore port, so deciders and projections see plain values while the store (and whatever the events are
 * relayed to) holds only ciphertext. After erasure a field reads as "[erased]"; the rest of the event is intact and
 * its hash chain still verifies (it covers the ciphertext).
 */

import { ForwardingEventStore } from '../event-sourcing/forwarding-store.ts';
import { canonicalJson } from '../event-sourcing/hashing.ts';
import type {
  AppendResult,
  EventHandler,
  EventStore,
  EventToAppend,
  ExpectedState,
  ReadAllOptions,
  ReadCaseOptions,
  ReadStreamOptions,
  StoredEvent,
  SubscribeOptions,
  Subscription,
} from '../event-sourcing/types.ts';
import type { KeyStore } from './key-store.ts';
import type { OpenOnly, PersonalDataPolicy } from './personal-data-policy.ts';
import { PersonalDataProtector } from './personal-data-protector.ts';

export class PersonalDataStore extends ForwardingEventStore {
  readonly #keys: KeyStore;
  readonly #policy: PersonalDataPolicy;
  readonly #only: OpenOnly | undefined;
  readonly protector: PersonalDataProtector;

  constructor(inner: EventStore, keys: KeyStore, policy: PersonalDataPolicy, options: { openOnly?: OpenOnly } = {}) {
    super(inner);
    this.#keys = keys;
    this.#policy = policy;
    this.#only = options.openOnly;
    this.protector = new PersonalDataProtector(keys, policy);
  }

  /** The same store, opening only these sealed fields on reads (see OpenOnly); appends seal as before. */
  openingOnly(only: OpenOnly): PersonalDataStore {
    return new PersonalDataStore(this.inner, this.#keys, this.#policy, { openOnly: only });
  }

  override async append(
    stream: string,
    events: readonly EventToAppend[],
    expected?: ExpectedState,
  ): Promise<AppendResult> {
    const sealed = await this.protector.sealEvents(events);
    try {
      return await this.inner.append(stream, sealed, expected);
    } catch (error) {
      // Sealing draws fresh IVs, so a re-append never matches the stored ciphertext: compare the opened values.
      const replay = await this.#replayOf(stream, events);
      if (replay) return replay;
      throw error;
    }
  }

  /** The original result when `events` are exactly what the stream holds under their ids, consecutively. */
  async #replayOf(stream: string, events: readonly EventToAppend[]): Promise<AppendResult | undefined> {
    const wanted = new Map(events.map((event, index) => [event.id, index]));
    const found: StoredEvent[] = [];
    for (let from = 0; ; ) {
      const page = await this.inner.readStream(stream, { fromRevision: from, limit: 1_000 });
      found.push(...page.filter((event) => wanted.has(event.id)));
      if (page.length < 1_000) break;
      from = (page.at(-1)?.revision ?? from) + 1;
    }
    if (found.length !== events.length) return undefined;
    const same = (a: unknown, b: unknown) => canonicalJson(JSON.parse(JSON.stringify(a))) === canonicalJson(b);
    for (const [offset, stored] of found.entries()) {
      const event = events[offset];
      const opened = await this.protector.openEvent(stored);
      if (
        !event ||
        event.id !== stored.id ||
        stored.revision !== (found[0]?.revision ?? 0) + offset ||
        event.type !== stored.type ||
        !same(event.data, opened.data) ||
        !same(event.metadata, stored.metadata)
      ) {
        return undefined;
      }
    }
    const last = found.at(-1);
    return last ? { nextExpectedRevision: last.revision, position: last.position, replayed: true } : undefined;
  }

  #openAll(events: StoredEvent[]): Promise<StoredEvent[]> {
    return this.protector.openEvents(events, this.#only);
  }

  override async readStream(stream: string, options?: ReadStreamOptions): Promise<StoredEvent[]> {
    return this.#openAll(await this.inner.readStream(stream, options));
  }
  override async readAll(options?: ReadAllOptions): Promise<StoredEvent[]> {
    return this.#openAll(await this.inner.readAll(options));
  }
  override async readCase(tenantId: string, caseId: string, options?: ReadCaseOptions): Promise<StoredEvent[]> {
    return this.#openAll(await this.inner.readCase(tenantId, caseId, options));
  }
  override subscribe(options: SubscribeOptions, handler: EventHandler): Subscription {
    const only = this.#only;
    return this.inner.subscribe(options, async (event) =>
      handler(
        only ? ((await this.protector.openEvents([event], only))[0] ?? event) : await this.protector.openEvent(event),
      ),
    );
  }
  /** The events as stored: personal fields sealed (e.g. to relay them to Kafka still encrypted). */
  get sealed(): EventStore {
    return this.inner;
  }
}
