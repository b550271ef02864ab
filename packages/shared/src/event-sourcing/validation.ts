import { InvalidEventError, InvalidStreamNameError, PayloadTooLargeError } from './errors.ts';
import type { EventToAppend } from './types.ts';

/** `<category>-<id>`: a camelCase category without dashes (so KurrentDB's `$ce-` projection works), then an id. */
const STREAM_NAME = /^[a-z][a-zA-Z0-9]*-[A-Za-z0-9][A-Za-z0-9._:@-]*$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const EVENT_TYPE = /^[A-Za-z][A-Za-z0-9._-]*$/;
export const MAX_STREAM_NAME_LENGTH = 200;
export const DEFAULT_MAX_EVENT_BYTES = 1_048_576;

export function validateStreamName(stream: string): void {
  if (typeof stream !== 'string' || stream.length === 0) throw new InvalidStreamNameError(String(stream), 'empty');
  if (stream.length > MAX_STREAM_NAME_LENGTH) {
    throw new InvalidStreamNameError(stream, `longer than ${MAX_STREAM_NAME_LENGTH} characters`);
  }
  if (!STREAM_NAME.test(stream)) {
    throw new InvalidStreamNameError(stream, 'expected <category>-<id>, a camelCase category without dashes');
  }
}

/** The category of a stream: the part before the first dash. */
export const categoryOf = (stream: string): string => stream.slice(0, stream.indexOf('-'));

export interface PreparedEvent {
  readonly event: EventToAppend;
  /** The event's JSON (data and metadata) as it will be stored. */
  readonly dataJson: string;
  readonly metadataJson: string;
}

/** Checks an append's events before anything is written; returns their serialised form. */
export function prepareEvents(
  events: readonly EventToAppend[],
  maxEventBytes = DEFAULT_MAX_EVENT_BYTES,
): PreparedEvent[] {
  if (!Array.isArray(events) || events.length === 0)
    throw new InvalidEventError(['an append needs at least one event']);
  const issues: string[] = [];
  const ids = new Set<string>();
  const prepared: PreparedEvent[] = [];
  events.forEach((event, index) => {
    const at = `events[${index}]`;
    if (typeof event.id !== 'string' || !UUID.test(event.id)) issues.push(`${at}.id: not a lower-case UUID`);
    else if (ids.has(event.id)) issues.push(`${at}.id: appears twice in one append`);
    else ids.add(event.id);
    if (typeof event.type !== 'string' || !EVENT_TYPE.test(event.type) || event.type.length > 200) {
      issues.push(`${at}.type: expected a name of letters, digits, '.', '_' or '-'`);
    }
    if (event.schemaVersion !== undefined && (!Number.isInteger(event.schemaVersion) || event.schemaVersion < 1)) {
      issues.push(`${at}.schemaVersion: expected a positive integer`);
    }
    if (typeof event.metadata !== 'object' || event.metadata === null) issues.push(`${at}.metadata: missing`);
    else if (typeof event.metadata.tenantId !== 'string' || event.metadata.tenantId.length === 0) {
      issues.push(`${at}.metadata.tenantId: missing`);
    }
    let dataJson: string | undefined;
    let metadataJson: string | undefined;
    try {
      dataJson = JSON.stringify(event.data);
      metadataJson = JSON.stringify(event.metadata);
    } catch (error) {
      issues.push(`${at}: not serialisable as JSON (${error instanceof Error ? error.message : String(error)})`);
    }
    if (dataJson === undefined) issues.push(`${at}.data: missing or not JSON`);
    else if (/(^|[^\\])\\u0000/.test(dataJson) || metadataJson?.includes('\\u0000')) {
      issues.push(`${at}: strings must not contain the NUL character`);
    }
    if (dataJson !== undefined && metadataJson !== undefined) {
      const bytes = Buffer.byteLength(dataJson) + Buffer.byteLength(metadataJson);
      if (bytes > maxEventBytes) throw new PayloadTooLargeError(event.id, bytes, maxEventBytes);
      prepared.push({ event, dataJson, metadataJson });
    }
  });
  if (issues.length > 0) throw new InvalidEventError(issues);
  return prepared;
}

const DEFAULT_LIMIT = 1_000;
const MAX_LIMIT = 10_000;

/** A read's page size: 1,000 by default, at most 10,000. */
export function limitOf(limit: number | undefined): number {
  if (limit === undefined) return DEFAULT_LIMIT;
  if (!Number.isInteger(limit) || limit < 1) throw new InvalidEventError(['limit must be a whole number ≥ 1']);
  return Math.min(limit, MAX_LIMIT);
}
