/**
 * Applying the disclosure policy (disclosure-policy.ts) to what a reader is shown: a stored event's data (sealed
 * fields opened only where the caller may see their kind — never decrypted otherwise) or a service's view of its
 * state (personal paths the caller may not see replaced). Withheld values read "[withheld]": the shape stays, so staff
 * still see that a field exists and when it changed.
 */
import type { Json, StoredEvent } from '../event-sourcing/types.ts';
import { isSealed } from './crypto.ts';
import { CLEAR_PERSONAL_PATHS, type DataKind, type Disclosure, kindOfPath } from './disclosure-policy.ts';
import type { PersonalDataProtector } from './personal-data-protector.ts';

export const WITHHELD = '[withheld]';

export const sees = (disclosure: Disclosure, kind: DataKind): boolean => disclosure.all || disclosure.kinds.has(kind);

type JsonRecord = { readonly [key: string]: Json | undefined };
const isRecord = (value: unknown): value is JsonRecord =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** `value` with every match of `path` (dot-separated, `*` = each array element) replaced by "[withheld]". */
export function withholdPath(value: Json, path: readonly string[]): Json {
  const [head, ...rest] = path;
  if (head === undefined) return WITHHELD;
  if (head === '*') return Array.isArray(value) ? value.map((item: Json) => withholdPath(item, rest)) : value;
  if (!isRecord(value) || !Object.hasOwn(value, head)) return value;
  const inner = value[head];
  return inner === undefined || inner === null ? value : { ...value, [head]: withholdPath(inner, rest) };
}

/** A view with each of `paths` (their kinds) withheld unless the caller may see that kind. */
export function withhold<T>(view: T, disclosure: Disclosure, paths: Readonly<Record<string, DataKind>>): T {
  let data = view as unknown as Json;
  for (const [path, kind] of Object.entries(paths)) {
    if (!sees(disclosure, kind)) data = withholdPath(data, path.split('.'));
  }
  return data as unknown as T;
}

const containsSealed = (value: unknown): boolean => {
  if (typeof value !== 'object' || value === null) return false;
  if (isSealed(value)) return true;
  return Array.isArray(value) ? value.some(containsSealed) : Object.values(value).some(containsSealed);
};

/**
 * The event's data as the caller may see it: permitted sealed fields opened ("[erased]" once the subject's key is
 * deleted), the others "[withheld]", and the clear values CLEAR_PERSONAL_PATHS names withheld by kind.
 */
export async function disclose(protector: PersonalDataProtector, event: StoredEvent, disclosure: Disclosure) {
  const data = withhold(event.data, disclosure, CLEAR_PERSONAL_PATHS[event.type] ?? {});
  // Most events hold no sealed data: hand them back as they are, without the async walk (history p99).
  if (!containsSealed(data)) return data;
  const tenantId = event.metadata.tenantId;
  const walk = async (value: Json, path: string): Promise<Json> => {
    if (isSealed(value)) {
      return sees(disclosure, kindOfPath(path)) ? protector.open(tenantId, event.id, value, path) : WITHHELD;
    }
    const at = (key: string | number) => (path === '' ? String(key) : `${path}.${key}`);
    if (Array.isArray(value)) return Promise.all(value.map((item: Json, index: number) => walk(item, at(index))));
    if (isRecord(value)) {
      const entries = await Promise.all(
        Object.entries(value).map(async ([key, item]) => [key, item === undefined ? item : await walk(item, at(key))]),
      );
      return Object.fromEntries(entries) as Json;
    }
    return value;
  };
  return walk(data, '');
}
