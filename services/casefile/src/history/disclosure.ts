/**
 * Who sees which personal data in a case's history. Events hold personal fields sealed per data subject; the
 * history opens a sealed field only for roles whose work needs that kind of data and shows "[withheld]" to the
 * rest — the event keeps its shape, so staff still see that the field exists and when it changed.
 *
 * Kinds are named by the field's last path segment (`applicant.familyName` → familyName), which is how the
 * services' privacy policies name them; a sealed field of a kind no rule lists is withheld from everyone but
 * auditors and admins, so a new personal field is private until someone decides otherwise.
 */
import type { Json, StoredEvent } from '@buergerkoffer/shared/event-sourcing';
import type { Role } from '@buergerkoffer/shared/http';
import { isSealed, type PersonalDataProtector } from '@buergerkoffer/shared/privacy';

export const WITHHELD = '[withheld]';

const NAMES = ['givenNames', 'familyName'] as const;
const CONTACT = ['phone', 'email', 'contactPerson', 'contact'] as const;

/** `'all'`: every personal field; otherwise the kinds a role's work needs (data minimisation, GDPR Art. 5(1)(c)). */
export const DISCLOSURE: Readonly<Record<Role, 'all' | ReadonlySet<string>>> = {
  auditor: 'all',
  admin: 'all',
  // Takes the application and calls back: who it is and how to reach them — not their health or home.
  'intake-agent': new Set([...NAMES, ...CONTACT]),
  // Decides on necessity from the mobility claims (health data); needs no address or contact data for it.
  'eligibility-officer': new Set([...NAMES, 'mobility']),
  // Plans the visit: who, where, how to reach them.
  scheduler: new Set([...NAMES, 'address', ...CONTACT]),
  // At the door: who (birth date to check identity), where, how to reach them.
  'field-officer': new Set([...NAMES, 'birthDate', 'address', ...CONTACT]),
  'kit-device': new Set(),
};

/**
 * Personal data another service stores in clear, by event type: paths (`*` for any array index) and their kind.
 * The pre-check's rule details name the care level and disability marks it looked at ("care level 4, at least 4
 * qualifies", "mark aG"): health data derived from the sealed claims, withheld like the claims themselves. (They
 * belong sealed at the source; until eligibility seals them, the history withholds them.)
 */
export const CLEAR_PERSONAL_PATHS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  AssessmentPrechecked: { 'precheck.rules.*.detail': 'mobility' },
};

/** Whether a caller may see personal data of `kind`. */
export const maySee = (allowed: 'all' | ReadonlySet<string>, kind: string): boolean =>
  allowed === 'all' || allowed.has(kind);

/** `value` with every match of `path` (dot-separated, `*` = each array element) replaced by "[withheld]". */
function withholdPath(value: Json, path: readonly string[]): Json {
  const [head, ...rest] = path;
  if (head === undefined) return WITHHELD;
  if (head === '*') return Array.isArray(value) ? value.map((item: Json) => withholdPath(item, rest)) : value;
  if (typeof value !== 'object' || value === null || Array.isArray(value) || !(head in value)) return value;
  const record = value as { readonly [key: string]: Json | undefined };
  const inner = record[head];
  return inner === undefined ? value : { ...record, [head]: withholdPath(inner, rest) };
}

/** The kinds of personal data a caller with these roles may see: the union over their roles. */
export function disclosureFor(roles: readonly Role[]): 'all' | ReadonlySet<string> {
  const kinds = new Set<string>();
  for (const role of roles) {
    const rule = DISCLOSURE[role];
    if (rule === 'all') return 'all';
    for (const kind of rule) kinds.add(kind);
  }
  return kinds;
}

const containsSealed = (value: unknown): boolean => {
  if (typeof value !== 'object' || value === null) return false;
  if (isSealed(value)) return true;
  return Array.isArray(value) ? value.some(containsSealed) : Object.values(value).some(containsSealed);
};

const kindOf = (path: string) =>
  path
    .split('.')
    .filter((segment) => !/^\d+$/.test(segment))
    .at(-1) ?? '';

/**
 * The event's data as the caller may see it: permitted sealed fields opened ("[erased]" once the subject's key is
 * deleted), the others "[withheld]" — without ever decrypting what is withheld.
 */
export async function disclose(
  protector: PersonalDataProtector,
  event: StoredEvent,
  allowed: 'all' | ReadonlySet<string>,
): Promise<Json> {
  let data = event.data;
  for (const [path, kind] of Object.entries(CLEAR_PERSONAL_PATHS[event.type] ?? {})) {
    if (!maySee(allowed, kind)) data = withholdPath(data, path.split('.'));
  }
  // Most events hold no sealed data: hand them back as they are, without the async walk (history p99).
  if (!containsSealed(data)) return data;
  const tenantId = event.metadata.tenantId;
  const walk = async (value: Json, path: string): Promise<Json> => {
    if (isSealed(value)) {
      return allowed === 'all' || allowed.has(kindOf(path))
        ? protector.open(tenantId, event.id, value, path)
        : WITHHELD;
    }
    const at = (key: string | number) => (path === '' ? String(key) : `${path}.${key}`);
    if (Array.isArray(value)) return Promise.all(value.map((item: Json, index: number) => walk(item, at(index))));
    if (typeof value === 'object' && value !== null) {
      const entries = await Promise.all(
        Object.entries(value).map(async ([key, item]) => [key, item === undefined ? item : await walk(item, at(key))]),
      );
      return Object.fromEntries(entries) as Json;
    }
    return value;
  };
  return walk(data, '');
}
