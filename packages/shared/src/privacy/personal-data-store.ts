/**
 * Seals the personal fields of events on their way into the store and opens them on the way out: a decorator of
 * the EventStore port, so deciders and projections see plain values while the store (and whatever the events are
 * relayed to) holds only ciphertext. After erasure a field reads as "[erased]"; the rest of the event is intact and
 * its hash chain still verifies (it covers the ciphertext).
 */

import { InvalidEventError } from '../event-sourcing/errors.ts';
import { canonicalJson } from '../event-sourcing/hashing.ts';
import type {
  AppendResult,
  EventHandler,
  EventStore,
  EventToAppend,
  ExpectedState,
  Json,
  ReadAllOptions,
  ReadCaseOptions,
  ReadStreamOptions,
  StoredEvent,
  StreamInfo,
  StreamMetadata,
  SubscribeOptions,
  Subscription,
} from '../event-sourcing/types.ts';
import { ERASED, isSealed, seal, UNREADABLE, unseal } from './crypto.ts';
import type { KeyStore } from './key-store.ts';

/** Which fields of an event type are personal, and whose. Paths are dot-separated. */
export interface PersonalFieldRule {
  /** Path to the data subject's id: in `data` (relative to each element with `each`), or `metadata.<key>`. */
  readonly subject: string;
  /** Paths of the fields to seal, relative to `data` (or to each element of `each`). */
  readonly fields: readonly string[];
  /** An array in `data` whose elements are each about their own subject (e.g. a group request's residents). */
  readonly each?: string;
}

export type PersonalDataPolicy = Readonly<Record<string, readonly PersonalFieldRule[]>>;

type JsonRecord = { [key: string]: Json | undefined };

const isRecord = (value: unknown): value is JsonRecord =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const getPath = (root: unknown, path: string): unknown =>
  path.split('.').reduce<unknown>((node, key) => (isRecord(node) ? node[key] : undefined), root);

/** Replaces the value at `path` (when present) with `replace(value)`, copying the objects on the way. */
async function updatePath(root: Json, path: readonly string[], replace: (value: Json) => Promise<Json>): Promise<Json> {
  const [key, ...rest] = path;
  if (key === undefined) return replace(root);
  if (!isRecord(root) || !(key in root) || root[key] === undefined) return root;
  return { ...root, [key]: await updatePath(root[key] as Json, rest, replace) };
}

const containsSealed = (value: unknown): boolean =>
  isSealed(value) ||
  (Array.isArray(value) ? value.some(containsSealed) : isRecord(value) && Object.values(value).some(containsSealed));

export class PersonalDataProtector {
  readonly #keys: KeyStore;
  readonly #policy: PersonalDataPolicy;

  constructor(keys: KeyStore, policy: PersonalDataPolicy) {
    this.#keys = keys;
    this.#policy = policy;
  }

  async #sealFields(
    tenantId: string,
    eventId: string,
    subjectId: unknown,
    target: Json,
    fields: readonly string[],
    prefix: string,
  ): Promise<Json> {
    if (typeof subjectId !== 'string' || subjectId.length === 0) {
      throw new Error('a personal-data rule names a subject id that the event does not carry');
    }
    const key = await this.#keys.keyFor(tenantId, subjectId);
    let sealed = target;
    for (const field of fields) {
      const binding = `${eventId}/${prefix}${field}`;
      sealed = await updatePath(
        sealed,
        field.split('.'),
        async (value) => seal(key, tenantId, subjectId, value, binding) as unknown as Json,
      );
    }
    return sealed;
  }

  /** The event with every personal field of its type sealed for its subject. */
  async sealEvent(event: EventToAppend): Promise<EventToAppend> {
    // Sealed values come only from here: one given as input could be a copy of someone else's data.
    if (containsSealed(event.data)) throw new InvalidEventError([`${event.type}: data must not contain sealed values`]);
    const rules = this.#policy[event.type];
    if (!rules) return event;
    const tenantId = event.metadata.tenantId;
    let data = event.data;
    for (const rule of rules) {
      const subjectOf = (element: unknown) =>
        rule.subject.startsWith('metadata.')
          ? getPath(event.metadata, rule.subject.slice(9))
          : getPath(element, rule.subject);
      if (rule.each === undefined) {
        data = await this.#sealFields(tenantId, event.id, subjectOf(data), data, rule.fields, '');
      } else {
        data = await updatePath(data, rule.each.split('.'), async (list) =>
          Array.isArray(list)
            ? Promise.all(
                list.map((element, index) =>
                  this.#sealFields(
                    tenantId,
                    event.id,
                    subjectOf(element),
                    element,
                    rule.fields,
                    `${rule.each}.${index}.`,
                  ),
                ),
              )
            : list,
        );
      }
    }
    return { ...event, data };
  }

  /**
   * Every sealed value in `value` opened: "[erased]" where its subject's key is gone, "[unreadable]" where it does
   * not authenticate at this place (altered, or copied from another event or field). `path` is the value's place.
   */
  async open(
    tenantId: string,
    eventId: string,
    value: Json,
    path = '',
    keys = new Map<string, Buffer | undefined>(),
  ): Promise<Json> {
    if (isSealed(value)) {
      if (!keys.has(value.sub)) keys.set(value.sub, await this.#keys.findKey(tenantId, value.sub));
      const key = keys.get(value.sub);
      if (!key) return ERASED;
      try {
        return unseal(key, tenantId, value, `${eventId}/${path}`) as Json;
      } catch {
        return UNREADABLE;
      }
    }
    const at = (key: string | number) => (path === '' ? String(key) : `${path}.${key}`);
    if (Array.isArray(value)) {
      return Promise.all(value.map((item: Json, index: number) => this.open(tenantId, eventId, item, at(index), keys)));
    }
    if (isRecord(value)) {
      const entries = await Promise.all(
        Object.entries(value).map(
          async ([k, v]) => [k, v === undefined ? v : await this.open(tenantId, eventId, v, at(k), keys)] as const,
        ),
      );
      return Object.fromEntries(entries);
    }
    return value;
  }

  async openEvent(event: StoredEvent): Promise<StoredEvent> {
    return { ...event, data: await this.open(event.metadata.tenantId, event.id, event.data) };
  }
}

export class PersonalDataStore implements EventStore {
  readonly #inner: EventStore;
  readonly protector: PersonalDataProtector;

  constructor(inner: EventStore, keys: KeyStore, policy: PersonalDataPolicy) {
    this.#inner = inner;
    this.protector = new PersonalDataProtector(keys, policy);
  }

  async append(stream: string, events: readonly EventToAppend[], expected?: ExpectedState): Promise<AppendResult> {
    const sealed = await Promise.all(events.map((event) => this.protector.sealEvent(event)));
    try {
      return await this.#inner.append(stream, sealed, expected);
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
      const page = await this.#inner.readStream(stream, { fromRevision: from, limit: 1_000 });
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

  async #openAll(events: StoredEvent[]): Promise<StoredEvent[]> {
    return Promise.all(events.map((event) => this.protector.openEvent(event)));
  }

  async readStream(stream: string, options?: ReadStreamOptions): Promise<StoredEvent[]> {
    return this.#openAll(await this.#inner.readStream(stream, options));
  }
  async readAll(options?: ReadAllOptions): Promise<StoredEvent[]> {
    return this.#openAll(await this.#inner.readAll(options));
  }
  async readCase(tenantId: string, caseId: string, options?: ReadCaseOptions): Promise<StoredEvent[]> {
    return this.#openAll(await this.#inner.readCase(tenantId, caseId, options));
  }
  subscribe(options: SubscribeOptions, handler: EventHandler): Subscription {
    return this.#inner.subscribe(options, async (event) => handler(await this.protector.openEvent(event)));
  }
  /** The events as stored: personal fields sealed (e.g. to relay them to Kafka still encrypted). */
  get sealed(): EventStore {
    return this.#inner;
  }
  headPosition(): Promise<number> {
    return this.#inner.headPosition();
  }
  getStream(stream: string): Promise<StreamInfo | undefined> {
    return this.#inner.getStream(stream);
  }
  setStreamMetadata(stream: string, metadata: StreamMetadata): Promise<void> {
    return this.#inner.setStreamMetadata(stream, metadata);
  }
  deleteStream(stream: string, options?: { expected?: ExpectedState; hard?: boolean }): Promise<void> {
    return this.#inner.deleteStream(stream, options);
  }
  close(): Promise<void> {
    return this.#inner.close();
  }
}
