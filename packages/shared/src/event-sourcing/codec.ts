/**
 * One codec per slice: where stored JSON becomes the slice's domain events. It is built from the zod union of the
 * slice's events (its `*.events.ts`), the upcasters of their older schema versions and the slice's personal-data
 * policy, and it is what the command handler, the projections and the relays decode with — no `as` on stored data,
 * so a wrong event fails here, naming itself, and not as a wrong decision far from its cause.
 *
 * A slice's events are read from three kinds of store, and the policy's fields (never any other) look different in
 * each: opened (`decode`: the value, or "[erased]" / "[unreadable]" once it cannot be opened), as stored
 * (`sealed.decode`: a sealed value), opened in part (`openingOnly(only).decode`: as the PersonalDataStore's
 * `openingOnly` reads them). The schemas for the last two are derived from the slice's schema and its policy.
 */
import { z } from 'zod';
import { ERASED, type SealedValue, UNREADABLE } from '../privacy/crypto.ts';
import type { OpenOnly, PersonalDataPolicy } from '../privacy/index.ts';
import type { DomainEvent } from './decider.ts';
import type { Json, StoredEvent } from './types.ts';

/** What a personal field reads as where it could not be opened: its subject was erased, or it did not authenticate. */
export type UnopenedMarker = typeof ERASED | typeof UNREADABLE;

/** The zod union of a slice's events: objects of a literal `type` and their `data`. */
export type EventUnion = z.ZodDiscriminatedUnion<
  readonly z.ZodObject<{ type: z.ZodLiteral<string>; data: z.ZodType }>[],
  'type'
>;

/**
 * Upcasters per event type: the first turns the data of schema version 1 into that of version 2, the next 2 into
 * 3, and so on; the last one's result is the current schema's (and is validated as such). An event type is written
 * with version 1 + its number of upcasters.
 */
export type Upcasters<Event extends DomainEvent> = {
  readonly [Type in Event['type']]?: readonly ((data: unknown) => unknown)[];
};

/** An upcaster that reads the older data through the older schema (so it needs no casts either). */
export const upcastFrom =
  <Older extends z.ZodType>(older: Older, upcast: (data: z.output<Older>) => unknown) =>
  (data: unknown): unknown =>
    upcast(older.parse(data));

/** Why a stored event of the slice could not be decoded. Names the event and the fields, never their values. */
export class EventDecodingError extends Error {
  readonly code = 'event-decoding-failed';
  readonly stream: string;
  readonly revision: number;
  readonly position: number;
  readonly type: string;
  readonly schemaVersion: number;
  /** The failing fields (`data.applicant.birthDate`) and what is wrong with each (zod's issue code). */
  readonly fields: readonly { readonly path: string; readonly problem: string }[];

  constructor(stored: StoredEvent, fields: readonly { path: string; problem: string }[], reason?: string) {
    const what = fields.map((field) => `${field.path} (${field.problem})`).join(', ');
    super(
      `cannot decode ${stored.type} (schema version ${stored.schemaVersion}) at ${stored.stream}@${stored.revision}: ` +
        (reason ?? `the data does not match its schema: ${what}`),
    );
    this.name = 'EventDecodingError';
    this.stream = stored.stream;
    this.revision = stored.revision;
    this.position = stored.position;
    this.type = stored.type;
    this.schemaVersion = stored.schemaVersion;
    this.fields = fields;
  }
}

// Type-level: the slice's events with their personal fields as a store shows them.

type RulePaths<Rules> = Rules extends readonly (infer Rule)[]
  ? Rule extends { readonly fields: readonly (infer Field extends string)[]; readonly each?: infer Each }
    ? Each extends string
      ? `${Each}.*.${Field}`
      : Field
    : never
  : never;
/** The personal paths (in `data`) of an event type: `*` stands for each element of an `each` list. */
export type PersonalPaths<Policy, Type> = Type extends keyof Policy ? RulePaths<Policy[Type]> : never;

type Below<Paths extends string, Key extends string> = Paths extends `${Key}.${infer Rest}` ? Rest : never;

/**
 * A personal field as events stored before its path was added to the policy hold it: in clear. Readers of the
 * stored form (relays, projections) meet it and must not pass it on as if it were sealed (`isSealed` tells).
 */
export type LegacyClear<T> = T;

/** `T` with the fields at `Sealed` paths sealed and those at `Opened` paths opened (or unopened markers). */
export type WithPersonal<T, Sealed extends string, Opened extends string> = [Sealed | Opened] extends [never]
  ? T
  : T extends readonly (infer Item)[]
    ? WithPersonal<Item, Below<Sealed, '*'>, Below<Opened, '*'>>[]
    : T extends object
      ? {
          [Key in keyof T]: Key extends Opened
            ? T[Key] | UnopenedMarker
            : Key extends Sealed
              ? SealedValue | LegacyClear<T[Key]>
              : WithPersonal<T[Key], Below<Sealed, Key & string>, Below<Opened, Key & string>>;
        }
      : T;

type Viewed<Event extends DomainEvent, Policy, Opened> = Event extends {
  readonly type: infer Type extends string;
  readonly data: infer Data;
}
  ? {
      type: Type;
      data: WithPersonal<
        Data,
        Exclude<PersonalPaths<Policy, Type>, OpenedPaths<Opened, Type>>,
        Extract<OpenedPaths<Opened, Type>, PersonalPaths<Policy, Type>>
      >;
    }
  : never;
type OpenedPaths<Opened, Type> = Type extends keyof Opened
  ? Opened[Type] extends readonly (infer Path extends string)[]
    ? Path
    : never
  : never;

/** The slice's events as stored: every personal field sealed. */
export type SealedView<Event extends DomainEvent, Policy> = Viewed<Event, Policy, Record<never, never>>;
/** The slice's events as a store opening only `Only` reads them: those fields opened, the other personal ones sealed. */
export type PartlyOpenedView<Event extends DomainEvent, Policy, Only> = Viewed<Event, Policy, Only>;

export interface EventDecoder<Event> {
  /** The slice's event, upcast to the current schema version; undefined for a type not of the slice. Throws an
   *  EventDecodingError when the data of one of its types does not match. */
  readonly decode: (stored: StoredEvent) => Event | undefined;
}

export interface EventCodec<Event extends DomainEvent, Policy> extends EventDecoder<Event> {
  /** The event types of the slice. */
  readonly types: ReadonlySet<string>;
  /**
   * For the store with personal data opened (PersonalDataStore). A personal field whose subject was erased reads
   * "[erased]" ("[unreadable]" when it did not authenticate) whatever its type, and is accepted so at the policy's
   * fields: an erased case still loads. The domain type does not show the marker — deciders carry personal values,
   * they do not interpret them.
   */
  readonly decode: (stored: StoredEvent) => Event | undefined;
  /** For the store as stored: the policy's fields, where present, are sealed values (and nothing else is). */
  readonly sealed: EventDecoder<SealedView<Event, Policy>>;
  /** For a store that opens only some personal fields (`PersonalDataStore.openingOnly(only)`, the same `only`). */
  openingOnly<const Only extends OpenOnly>(only: Only): EventDecoder<PartlyOpenedView<Event, Policy, Only>>;
  /** The schema version an event of the type is written with now. */
  schemaVersionOf(type: Event['type']): number;
}

const sealedValue = z.object({ $pd: z.literal('v1'), sub: z.string(), iv: z.string(), ct: z.string() });
const unopened = z.enum([ERASED, UNREADABLE]);

type Schema = z.core.$ZodType;

/** `schema` with the field at `path` replaced by `replace(field)`; optional and nullable wrappers kept. */
function replaceAt(schema: Schema, path: readonly string[], replace: (field: Schema) => Schema, where: string): Schema {
  const [head, ...rest] = path;
  if (schema instanceof z.ZodOptional) return z.optional(replaceAt(schema.unwrap(), path, replace, where));
  if (head === undefined) return replace(schema);
  if (schema instanceof z.ZodNullable) return z.nullable(replaceAt(schema.unwrap(), path, replace, where));
  if (head === '*' && schema instanceof z.ZodArray) {
    return schema.clone({ ...schema.def, element: replaceAt(schema.element, rest, replace, where) });
  }
  if (schema instanceof z.ZodObject) {
    const field: Schema | undefined = schema.shape[head];
    if (field === undefined) throw new Error(`the personal-data policy names ${where}, which the schema does not have`);
    return schema.extend({ [head]: replaceAt(field, rest, replace, where) });
  }
  throw new Error(`the personal-data policy names ${where}, which cannot be followed in the schema`);
}

const pathsOf = (policy: PersonalDataPolicy, type: string): string[] =>
  (policy[type] ?? []).flatMap((rule) =>
    rule.fields.map((field) => (rule.each === undefined ? field : `${rule.each}.*.${field}`)),
  );

/** The failing fields of a zod error, without values: for a personal field, the issues of its own schema. */
function fieldsOf(issues: readonly z.core.$ZodIssue[], prefix: readonly PropertyKey[] = ['data']) {
  return issues.flatMap((issue): { path: string; problem: string }[] => {
    const at = [...prefix, ...issue.path];
    const own = issue.code === 'invalid_union' ? issue.errors.find((errors) => errors.length > 0) : undefined;
    return own ? fieldsOf(own, at) : [{ path: at.map(String).join('.'), problem: issue.code }];
  });
}

export function eventCodec<Union extends EventUnion, const Policy extends PersonalDataPolicy = Record<never, never>>(
  union: Union,
  options: { readonly personal?: Policy; readonly upcasters?: Upcasters<z.output<Union>> } = {},
): EventCodec<z.output<Union>, Policy> {
  type Event = z.output<Union>;
  const policy: PersonalDataPolicy = options.personal ?? {};
  const plain = new Map<string, Schema>(union.options.map((option) => [option.shape.type.value, option.shape.data]));
  const chains = new Map<string, readonly ((data: unknown) => unknown)[]>(
    Object.entries(options.upcasters ?? {}).filter(
      (entry): entry is [string, readonly ((data: unknown) => unknown)[]] => Array.isArray(entry[1]),
    ),
  );
  for (const type of chains.keys()) {
    if (!plain.has(type)) throw new Error(`an upcaster is given for ${type}, which is not an event of the slice`);
  }

  /** The data schemas of every type, each personal field as `personal` makes it (and only the policy's fields). */
  const derive = (personal: (type: string, path: string, field: Schema) => Schema) =>
    new Map(
      [...plain].map(([type, schema]) => [
        type,
        pathsOf(policy, type).reduce(
          (derived, path) =>
            replaceAt(derived, path.split('.'), (field) => personal(type, path, field), `${type}: data.${path}`),
          schema,
        ),
      ]),
    );

  const decoderOver = <View>(schemas: ReadonlyMap<string, Schema>) => ({
    decode: (stored: StoredEvent): View | undefined => {
      const schema = schemas.get(stored.type);
      if (schema === undefined) return undefined;
      const parsed = z.safeParse(schema, upcast(stored));
      if (!parsed.success) throw new EventDecodingError(stored, fieldsOf(parsed.error.issues));
      // The data matched the schema derived for this view (see WithPersonal): zod cannot infer that type from a
      // schema built at run time, so this is the one place it is stated.
      return { type: stored.type, data: parsed.data } as View;
    },
  });

  function upcast(stored: StoredEvent): unknown {
    const chain = chains.get(stored.type) ?? [];
    const current = chain.length + 1;
    if (stored.schemaVersion > current) {
      throw new EventDecodingError(stored, [], `this codec knows schema versions up to ${current}`);
    }
    let data: unknown = stored.data;
    for (let version = stored.schemaVersion; version < current; version++) {
      const step = chain[version - 1];
      if (!step) break;
      try {
        data = step(data);
      } catch (error) {
        if (error instanceof z.ZodError) throw new EventDecodingError(stored, fieldsOf(error.issues));
        const kind = error instanceof Error ? error.name : typeof error;
        throw new EventDecodingError(stored, [], `its upcaster from version ${version} failed (${kind})`);
      }
    }
    return data;
  }

  const opened = decoderOver<Event>(derive((_type, _path, field) => z.union([field, unopened])));
  let sealed: EventDecoder<SealedView<Event, Policy>> | undefined;
  return {
    types: new Set(plain.keys()),
    decode: opened.decode,
    get sealed() {
      // Sealed, or in clear where the event was stored before the policy named the field (see LegacyClear).
      sealed ??= decoderOver<SealedView<Event, Policy>>(derive((_type, _path, field) => z.union([sealedValue, field])));
      return sealed;
    },
    openingOnly<const Only extends OpenOnly>(only: Only) {
      const opens = (type: string, path: string) => only[type]?.includes(path) === true;
      return decoderOver<PartlyOpenedView<Event, Policy, Only>>(
        derive((type, path, field) => (opens(type, path) ? z.union([field, unopened]) : z.union([sealedValue, field]))),
      );
    },
    schemaVersionOf: (type) => (chains.get(type)?.length ?? 0) + 1,
  };
}

/**
 * A string field at the top of an event's data, checked for nothing but being a string: a projection's row key.
 * The runner asks for the keys of a page before it applies the page, and `apply` decodes each event (so checks it
 * in full) once — decoding in both, or remembering decoded events between them, cost a rebuild more than both
 * together (a WeakMap per event: ~0.6 µs of the ~30 µs an event costs).
 */
export function keyField(stored: StoredEvent, field: string): string | undefined {
  const { data } = stored;
  const value = isRecord(data) && Object.hasOwn(data, field) ? data[field] : undefined;
  return typeof value === 'string' ? value : undefined;
}

const isRecord = (value: Json): value is { readonly [key: string]: Json | undefined } =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
