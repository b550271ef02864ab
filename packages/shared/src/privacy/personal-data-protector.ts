/**
 * Sealing and opening the personal fields of events by a policy (personal-data-policy.ts): each field encrypted
 * with its data subject's key (AES-256-GCM, key store), opened for readers — only the fields a reader asks for, if
 * it asks — as "[erased]" once the subject's key is gone and "[unreadable]" where a sealed value was moved.
 */

import { InvalidEventError } from '../event-sourcing/errors.ts';
import type { EventToAppend, Json, StoredEvent } from '../event-sourcing/types.ts';
import { ERASED, isSealed, type SealedValue, seal, UNREADABLE, unseal } from './crypto.ts';
import { type KeyStore, type SubjectRef, subjectKey } from './key-store.ts';
import type { OpenOnly, PersonalDataPolicy, PersonalFieldRule } from './personal-data-policy.ts';

type JsonRecord = { [key: string]: Json | undefined };

const isRecord = (value: unknown): value is JsonRecord =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const getPath = (root: unknown, path: string): unknown =>
  path.split('.').reduce<unknown>((node, key) => (isRecord(node) ? node[key] : undefined), root);

/** Replaces the value at `path` (when present) with `replace(value)`, copying the objects on the way. */
function updatePath(root: Json, path: readonly string[], replace: (value: Json) => Json): Json {
  const [key, ...rest] = path;
  if (key === undefined) return replace(root);
  if (!isRecord(root) || !(key in root) || root[key] === undefined) return root;
  return { ...root, [key]: updatePath(root[key] as Json, rest, replace) };
}

const subjectIdOf = (value: unknown): string => {
  if (typeof value !== 'string' || value.length === 0) {
    throw new Error('a personal-data rule names a subject id that the event does not carry');
  }
  return value;
};

/** What a rule applies to in an event's data: the data itself, or each element of its `each` list. */
function elementsOf(data: Json, rule: PersonalFieldRule): readonly unknown[] {
  if (rule.each === undefined) return [data];
  const list = getPath(data, rule.each);
  return Array.isArray(list) ? list : [];
}

function subjectOf(event: EventToAppend, rule: PersonalFieldRule, element: unknown): unknown {
  const at = (path: string) =>
    path.startsWith('metadata.') ? getPath(event.metadata, path.slice(9)) : getPath(element, path);
  const subject = at(rule.subject);
  return subject === undefined && rule.fallbackSubject !== undefined ? at(rule.fallbackSubject) : subject;
}

/** `target` with each of `fields` (paths below it) sealed for the subject, bound to its place in the event. */
function sealFields(
  key: Buffer,
  tenantId: string,
  eventId: string,
  subjectId: string,
  target: Json,
  fields: readonly string[],
  prefix: string,
): Json {
  let sealed = target;
  for (const field of fields) {
    const binding = `${eventId}/${prefix}${field}`;
    sealed = updatePath(
      sealed,
      field.split('.'),
      (value) => seal(key, tenantId, subjectId, value, binding) as unknown as Json,
    );
  }
  return sealed;
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

  /** The event with every personal field of its type sealed for its subject. */
  async sealEvent(event: EventToAppend): Promise<EventToAppend> {
    const [sealed] = await this.sealEvents([event]);
    return sealed ?? event;
  }

  /**
   * `sealEvent` for the events of one append, with one key round trip for all their subjects (created where new),
   * then sealed without a promise per field: an append costs one key-store call, however many subjects and fields.
   */
  async sealEvents(events: readonly EventToAppend[]): Promise<EventToAppend[]> {
    const subjects = new Map<string, SubjectRef>();
    for (const event of events) {
      // Sealed values come only from here: one given as input could be a copy of someone else's data.
      if (containsSealed(event.data))
        throw new InvalidEventError([`${event.type}: data must not contain sealed values`]);
      const tenantId = event.metadata.tenantId;
      for (const rule of this.#policy[event.type] ?? []) {
        for (const element of elementsOf(event.data, rule)) {
          const subjectId = subjectIdOf(subjectOf(event, rule, element));
          subjects.set(subjectKey(tenantId, subjectId), { tenantId, subjectId });
        }
      }
    }
    if (subjects.size === 0) return [...events];
    const keys = await this.#keysFor([...subjects.values()]);
    return events.map((event) => {
      const rules = this.#policy[event.type];
      if (!rules) return event;
      const tenantId = event.metadata.tenantId;
      let data = event.data;
      for (const rule of rules) {
        const sealAt = (element: Json, prefix: string) => {
          const subjectId = subjectIdOf(subjectOf(event, rule, element));
          const key = keys.get(subjectKey(tenantId, subjectId));
          if (!key) throw new Error('a personal-data rule names a subject id that the event does not carry');
          return sealFields(key, tenantId, event.id, subjectId, element, rule.fields, prefix);
        };
        data =
          rule.each === undefined
            ? sealAt(data, '')
            : updatePath(data, rule.each.split('.'), (list) =>
                Array.isArray(list) ? list.map((element, index) => sealAt(element, `${rule.each}.${index}.`)) : list,
              );
      }
      return { ...event, data };
    });
  }

  async #keysFor(subjects: readonly SubjectRef[]): Promise<ReadonlyMap<string, Buffer>> {
    if (this.#keys.keysFor) return this.#keys.keysFor(subjects);
    return new Map(
      await Promise.all(
        subjects.map(
          async (s) => [subjectKey(s.tenantId, s.subjectId), await this.#keys.keyFor(s.tenantId, s.subjectId)] as const,
        ),
      ),
    );
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

  /**
   * `openEvent` for a page of events with one key lookup for all their subjects (instead of one per subject and
   * event): what reads of many events — a projection's rebuild — need. Events without sealed values come back as
   * they are.
   */
  async openEvents(events: readonly StoredEvent[], only?: OpenOnly): Promise<StoredEvent[]> {
    const subjects = new Map<string, SubjectRef>();
    const want = (tenantId: string, subjectId: string) =>
      subjects.set(subjectKey(tenantId, subjectId), { tenantId, subjectId });
    // Per event: every sealed value (open all), or only those at the wanted paths — found by following just those
    // paths, so a reader that wants three fields does not walk (or copy) the rest of the event.
    const plans = events.map((event): 'all' | SealedAt[] | undefined => {
      const tenantId = event.metadata.tenantId;
      if (!only) {
        let found = false;
        collectSealed(event.data, (sub) => {
          found = true;
          want(tenantId, sub);
        });
        return found ? 'all' : undefined;
      }
      const paths = only[event.type];
      if (!paths) return undefined;
      const found = paths.flatMap((path) => sealedAt(event.data, path.split('.'), []));
      for (const { sealed } of found) want(tenantId, sealed.sub);
      return found.length > 0 ? found : undefined;
    });
    if (subjects.size === 0) return [...events];
    const keys = this.#keys.findKeys
      ? await this.#keys.findKeys([...subjects.values()])
      : new Map(
          await Promise.all(
            [...subjects].map(async ([id, s]) => [id, await this.#keys.findKey(s.tenantId, s.subjectId)] as const),
          ),
        );
    return events.map((event, index) => {
      const plan = plans[index];
      if (plan === undefined) return event;
      const tenantId = event.metadata.tenantId;
      if (plan === 'all') return { ...event, data: openWith(keys, tenantId, event.id, event.data, '') };
      let data = event.data;
      for (const { path, sealed } of plan) {
        data = replaceAt(data, path, 0, openOne(keys, tenantId, event.id, sealed, path.join('.')));
      }
      return { ...event, data };
    });
  }
}

interface SealedAt {
  readonly path: readonly string[];
  readonly sealed: SealedValue;
}

/** The sealed values at `segments` (`*` = every element of an array) below `node`. */
function sealedAt(node: unknown, segments: readonly string[], at: readonly string[]): SealedAt[] {
  const [head, ...rest] = segments;
  if (head === undefined) return isSealed(node) ? [{ path: at, sealed: node }] : [];
  if (head === '*') {
    return Array.isArray(node) ? node.flatMap((item, index) => sealedAt(item, rest, [...at, String(index)])) : [];
  }
  if (Array.isArray(node)) return /^\d+$/.test(head) ? sealedAt(node[Number(head)], rest, [...at, head]) : [];
  return isRecord(node) && Object.hasOwn(node, head) ? sealedAt(node[head], rest, [...at, head]) : [];
}

/** `root` with the value at `path` replaced, copying only the objects and arrays on the way. */
function replaceAt(root: Json, path: readonly string[], depth: number, value: Json): Json {
  const key = path[depth];
  if (key === undefined) return value;
  if (Array.isArray(root)) {
    const copy = [...root];
    copy[Number(key)] = replaceAt(root[Number(key)] as Json, path, depth + 1, value);
    return copy;
  }
  if (!isRecord(root)) return root;
  // fromEntries-like own property even for "__proto__".
  const copy: JsonRecord = { ...root };
  Object.defineProperty(copy, key, {
    value: replaceAt(root[key] as Json, path, depth + 1, value),
    enumerable: true,
    writable: true,
    configurable: true,
  });
  return copy;
}

function openOne(
  keys: ReadonlyMap<string, Buffer | undefined>,
  tenantId: string,
  eventId: string,
  sealed: SealedValue,
  path: string,
): Json {
  const key = keys.get(subjectKey(tenantId, sealed.sub));
  if (!key) return ERASED;
  try {
    return unseal(key, tenantId, sealed, `${eventId}/${path}`) as Json;
  } catch {
    return UNREADABLE;
  }
}

/** Calls `found` with the subject of every sealed value in `value`. */
function collectSealed(value: unknown, found: (subjectId: string) => void): void {
  if (isSealed(value)) found(value.sub);
  else if (Array.isArray(value)) for (const item of value) collectSealed(item, found);
  else if (isRecord(value)) for (const item of Object.values(value)) collectSealed(item, found);
}

/** `open` with every key at hand: synchronous, so a page of events is opened without a promise per value. */
function openWith(
  keys: ReadonlyMap<string, Buffer | undefined>,
  tenantId: string,
  eventId: string,
  value: Json,
  path: string,
): Json {
  if (isSealed(value)) return openOne(keys, tenantId, eventId, value, path);
  const at = (key: string | number) => (path === '' ? String(key) : `${path}.${key}`);
  if (Array.isArray(value))
    return value.map((item: Json, index: number) => openWith(keys, tenantId, eventId, item, at(index)));
  if (isRecord(value)) {
    // fromEntries defines own properties: a "__proto__" key in stored JSON stays data.
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, v === undefined ? v : openWith(keys, tenantId, eventId, v, at(k))]),
    );
  }
  return value;
}
