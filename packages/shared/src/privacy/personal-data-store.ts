/**
 * Seals the personal fields of events on their way into the store and opens them on the way out: a decorator of
 * the EventStore port, so deciders and projections see plain values while the store (and whatever the events are
 * relayed to) holds only ciphertext. After erasure a field reads as "[erased]"; the rest of the event is intact and
 * its hash chain still verifies (it covers the ciphertext).
 */
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
import { ERASED, isSealed, seal, unseal } from './crypto.ts';
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

export class PersonalDataProtector {
  readonly #keys: KeyStore;
  readonly #policy: PersonalDataPolicy;

  constructor(keys: KeyStore, policy: PersonalDataPolicy) {
    this.#keys = keys;
    this.#policy = policy;
  }

  async #sealFields(tenantId: string, subjectId: unknown, target: Json, fields: readonly string[]): Promise<Json> {
    if (typeof subjectId !== 'string' || subjectId.length === 0) {
      throw new Error('a personal-data rule names a subject id that the event does not carry');
    }
    const key = await this.#keys.keyFor(tenantId, subjectId);
    let sealed = target;
    for (const field of fields) {
      sealed = await updatePath(sealed, field.split('.'), async (value) =>
        isSealed(value) ? value : (seal(key, tenantId, subjectId, value) as unknown as Json),
      );
    }
    return sealed;
  }

  /** The event with every personal field of its type sealed for its subject. */
  async sealEvent(event: EventToAppend): Promise<EventToAppend> {
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
        data = await this.#sealFields(tenantId, subjectOf(data), data, rule.fields);
      } else {
        data = await updatePath(data, rule.each.split('.'), async (list) =>
          Array.isArray(list)
            ? Promise.all(list.map((element) => this.#sealFields(tenantId, subjectOf(element), element, rule.fields)))
            : list,
        );
      }
    }
    return { ...event, data };
  }

  /** Every sealed value in `value` opened, or "[erased]" where its subject's key is gone. */
  async open(tenantId: string, value: Json, keys = new Map<string, Buffer | undefined>()): Promise<Json> {
    if (isSealed(value)) {
      if (!keys.has(value.sub)) keys.set(value.sub, await this.#keys.findKey(tenantId, value.sub));
      const key = keys.get(value.sub);
      return key ? (unseal(key, tenantId, value) as Json) : ERASED;
    }
    if (Array.isArray(value)) return Promise.all(value.map((item: Json) => this.open(tenantId, item, keys)));
    if (isRecord(value)) {
      const entries = await Promise.all(
        Object.entries(value).map(
          async ([k, v]) => [k, v === undefined ? v : await this.open(tenantId, v, keys)] as const,
        ),
      );
      return Object.fromEntries(entries);
    }
    return value;
  }

  async openEvent(event: StoredEvent): Promise<StoredEvent> {
    return { ...event, data: await this.open(event.metadata.tenantId, event.data) };
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
    return this.#inner.append(stream, sealed, expected);
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
