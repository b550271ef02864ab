import type { ExpectedState } from './types.ts';

/** Base of the store's typed errors; `code` is stable and mapped to HTTP by the shared error handler. */
export abstract class EventStoreError extends Error {
  abstract readonly code: string;
}

export const describeExpected = (expected: ExpectedState): string =>
  typeof expected === 'string' ? expected : `revision ${expected.revision}`;

export class VersionConflictError extends EventStoreError {
  readonly code = 'version-conflict';
  readonly stream: string;
  readonly expected: ExpectedState;
  /** The stream's actual revision (-1 when it has no events). */
  readonly actualRevision: number;
  constructor(stream: string, expected: ExpectedState, actualRevision: number) {
    super(`stream ${stream}: expected ${describeExpected(expected)}, actual revision ${actualRevision}`);
    this.name = 'VersionConflictError';
    this.stream = stream;
    this.expected = expected;
    this.actualRevision = actualRevision;
  }
}

export class StreamDeletedError extends EventStoreError {
  readonly code = 'stream-deleted';
  readonly stream: string;
  constructor(stream: string) {
    super(`stream ${stream} is deleted`);
    this.name = 'StreamDeletedError';
    this.stream = stream;
  }
}

export class InvalidStreamNameError extends EventStoreError {
  readonly code = 'invalid-stream-name';
  readonly stream: string;
  constructor(stream: string, reason: string) {
    super(`invalid stream name ${JSON.stringify(stream)}: ${reason}`);
    this.name = 'InvalidStreamNameError';
    this.stream = stream;
  }
}

export class PayloadTooLargeError extends EventStoreError {
  readonly code = 'payload-too-large';
  readonly eventId: string;
  readonly bytes: number;
  readonly limit: number;
  constructor(eventId: string, bytes: number, limit: number) {
    super(`event ${eventId} is ${bytes} bytes, over the limit of ${limit}`);
    this.name = 'PayloadTooLargeError';
    this.eventId = eventId;
    this.bytes = bytes;
    this.limit = limit;
  }
}

/** The same event id was stored before with other content (or in another stream or place). */
export class IdempotencyConflictError extends EventStoreError {
  readonly code = 'idempotency-conflict';
  readonly eventIds: readonly string[];
  constructor(stream: string, eventIds: readonly string[]) {
    super(`stream ${stream}: event id(s) ${eventIds.join(', ')} already stored with other content or position`);
    this.name = 'IdempotencyConflictError';
    this.eventIds = eventIds;
  }
}

/** An event that cannot be stored as given (bad id, type, metadata, or data that is not JSON). */
export class InvalidEventError extends EventStoreError {
  readonly code = 'invalid-event';
  readonly issues: readonly string[];
  constructor(issues: readonly string[]) {
    super(`invalid event: ${issues.join('; ')}`);
    this.name = 'InvalidEventError';
    this.issues = issues;
  }
}
