/**
 * Integration events on Kafka: CloudEvents 1.0 in the Kafka protocol binding's binary mode. The message value is
 * the event's data (JSON); every attribute travels as a header `ce_<name>`; `content-type` says what the value is.
 * The message key is the case id (= `ce_subject`), so one case's events keep their order on one partition.
 * Personal fields inside `data` stay sealed (see privacy/), so erasure covers topics too.
 */
import type { z } from 'zod';

export const SPEC_VERSION = '1.0';
export const JSON_CONTENT_TYPE = 'application/json';

/** An integration event as services publish and consume it. */
export interface IntegrationEvent<Data = unknown> {
  /** Unique per event; consumers use it to recognise a redelivery. */
  readonly id: string;
  /** `<service>.<aggregate>.<fact>.v<major>`, e.g. `intake.case.opened.v1`. */
  readonly type: string;
  /** The publishing service, e.g. `/buergerkoffer/intake`. */
  readonly source: string;
  /** The case id: also the Kafka key. */
  readonly subject: string;
  readonly time: string;
  readonly tenant: string;
  readonly traceparent?: string | undefined;
  readonly data: Data;
}

export interface KafkaRecord {
  readonly key: string;
  readonly value: Buffer;
  readonly headers: Readonly<Record<string, string>>;
}

export function toKafkaRecord(event: IntegrationEvent): KafkaRecord {
  const headers: Record<string, string> = {
    ce_specversion: SPEC_VERSION,
    ce_id: event.id,
    ce_type: event.type,
    ce_source: event.source,
    ce_subject: event.subject,
    ce_time: event.time,
    ce_tenant: event.tenant,
    'content-type': JSON_CONTENT_TYPE,
  };
  if (event.traceparent) headers.traceparent = event.traceparent;
  return { key: event.subject, value: Buffer.from(JSON.stringify(event.data)), headers };
}

/** Why a message is not a valid integration event: each problem names its field (`ce_type`, `data.caseId`, …). */
export class ContractViolation extends Error {
  readonly code = 'contract-violation';
  readonly issues: readonly { readonly field: string; readonly message: string }[];
  constructor(issues: readonly { field: string; message: string }[]) {
    super(`not a valid integration event: ${issues.map((i) => `${i.field}: ${i.message}`).join('; ')}`);
    this.name = 'ContractViolation';
    this.issues = issues;
  }
}

/** The schemas a consumer accepts (and a relay sends), by event type (type names carry the major version). */
export type ContractRegistry = Readonly<Record<string, z.ZodType>>;

/** An event of the registry as its publisher builds it: a type, and data of the shape that type's schema takes. */
export type Publishable<Registry extends ContractRegistry> = {
  readonly [Type in keyof Registry & string]: { readonly type: Type; readonly data: z.input<Registry[Type]> };
}[keyof Registry & string];

const dataIssues = (issues: readonly z.core.$ZodIssue[]) =>
  issues.map((issue) => ({ field: ['data', ...issue.path.map(String)].join('.'), message: issue.message }));

/**
 * The data of an integration event of `type` as its published schema reads it: what a relay checks before it
 * sends, so that nothing goes out that its consumers would dead-letter. Throws ContractViolation naming each field.
 */
export function conformingData(registry: ContractRegistry, type: string, data: unknown): unknown {
  const schema = registry[type];
  if (!schema) throw new ContractViolation([{ field: 'ce_type', message: `unknown event type ${type}` }]);
  const parsed = schema.safeParse(data);
  if (!parsed.success) throw new ContractViolation(dataIssues(parsed.error.issues));
  return parsed.data;
}

type HeaderValue = string | Buffer | Uint8Array | readonly (string | Buffer | Uint8Array)[] | undefined;

const headerText = (value: HeaderValue): string | undefined => {
  if (value === undefined) return undefined;
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return headerText(value[0]);
  return Buffer.from(value as Uint8Array).toString('utf8');
};

const REQUIRED = ['ce_specversion', 'ce_id', 'ce_type', 'ce_source', 'ce_subject', 'ce_time', 'ce_tenant'] as const;

/** Reads and validates a consumed Kafka message; throws ContractViolation naming every problem. */
export function fromKafkaRecord(
  message: {
    key?: string | Buffer | null;
    value: Buffer | string | null;
    headers?: Readonly<Record<string, HeaderValue>>;
  },
  registry: ContractRegistry,
): IntegrationEvent {
  const issues: { field: string; message: string }[] = [];
  const header = (name: string) => headerText(message.headers?.[name]);
  for (const name of REQUIRED) if (!header(name)) issues.push({ field: name, message: 'missing' });
  const specVersion = header('ce_specversion');
  if (specVersion && specVersion !== SPEC_VERSION)
    issues.push({ field: 'ce_specversion', message: `expected ${SPEC_VERSION}` });
  const contentType = header('content-type');
  if (contentType && !contentType.startsWith(JSON_CONTENT_TYPE)) {
    issues.push({ field: 'content-type', message: `expected ${JSON_CONTENT_TYPE}` });
  }
  const time = header('ce_time');
  if (time && Number.isNaN(Date.parse(time))) issues.push({ field: 'ce_time', message: 'not an RFC 3339 time' });
  const key = message.key === undefined || message.key === null ? undefined : String(message.key);
  const subject = header('ce_subject');
  if (subject && key !== undefined && key !== subject)
    issues.push({ field: 'key', message: 'differs from ce_subject' });

  const type = header('ce_type') ?? '';
  const schema = registry[type];
  if (type && !schema) issues.push({ field: 'ce_type', message: `unknown event type ${type}` });

  let data: unknown;
  try {
    data = JSON.parse(message.value === null ? 'null' : String(message.value));
  } catch {
    issues.push({ field: 'data', message: 'not JSON' });
  }
  if (schema && issues.every((issue) => issue.field !== 'data')) {
    const parsed = schema.safeParse(data);
    if (parsed.success) data = parsed.data;
    else issues.push(...dataIssues(parsed.error.issues));
  }
  if (issues.length > 0) throw new ContractViolation(issues);
  return {
    id: header('ce_id') ?? '',
    type,
    source: header('ce_source') ?? '',
    subject: subject ?? '',
    time: time ?? '',
    tenant: header('ce_tenant') ?? '',
    traceparent: header('traceparent'),
    data,
  };
}
