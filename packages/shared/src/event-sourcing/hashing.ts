/**
 * Tamper evidence. Each stored event carries
 *   contentHash = SHA-256(canonical JSON of [stream, id, type, schemaVersion, recordedAt, data, metadata])
 *   hash        = SHA-256(prevHash ‖ contentHash ‖ revision as 8 bytes big-endian)   (prevHash empty for revision 0)
 * so altering, removing or reordering an event breaks the chain from there on. The content hash is computed by the
 * writer from the event as stored (JSON), the chain by whichever side knows the previous hash under the stream's lock.
 * Canonical JSON: object keys sorted by UTF-16 code units, no whitespace, undefined members dropped (RFC 8785 for
 * the values JSON.parse yields).
 */
import { createHash } from 'node:crypto';
import type { EventStore, Json, StoredEvent } from './types.ts';

export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    const text = JSON.stringify(value);
    return text === undefined ? 'null' : text;
  }
  if (Array.isArray(value))
    return `[${value.map((item) => canonicalJson(item === undefined ? null : item)).join(',')}]`;
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record)
    .filter((key) => record[key] !== undefined)
    .sort();
  return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalJson(record[key])}`).join(',')}}`;
}

export interface HashableEvent {
  readonly stream: string;
  readonly id: string;
  readonly type: string;
  readonly schemaVersion: number;
  readonly recordedAt: Date;
  readonly data: Json | unknown;
  readonly metadata: unknown;
}

export function contentHash(event: HashableEvent): Buffer {
  const canonical = canonicalJson([
    event.stream,
    event.id,
    event.type,
    event.schemaVersion,
    event.recordedAt.toISOString(),
    event.data,
    event.metadata,
  ]);
  return createHash('sha256').update(canonical).digest();
}

export function chainHash(prevHash: Buffer | null, content: Buffer, revision: number): Buffer {
  const rev = Buffer.alloc(8);
  rev.writeBigInt64BE(BigInt(revision));
  return createHash('sha256')
    .update(prevHash ?? Buffer.alloc(0))
    .update(content)
    .update(rev)
    .digest();
}

export type VerifyResult =
  | { readonly ok: true; readonly stream: string; readonly events: number }
  | {
      readonly ok: false;
      readonly stream: string;
      readonly events: number;
      /** The first event whose link is broken. */
      readonly brokenAt: { readonly revision: number; readonly position: number; readonly eventId: string };
      readonly reason: 'content-altered' | 'chain-broken' | 'revision-gap';
    };

/**
 * Recomputes a stream's hash chain from its events as the store returns them and reports the first broken link.
 * A stream whose first events retention or deletion hides is verified from its first remaining event, whose stored
 * prevHash is then trusted; an unexplained missing prefix is a `revision-gap`.
 */
export async function verifyStream(
  store: EventStore,
  stream: string,
  pageSize = 1_000,
  /** Sees every event read, in order: a caller checking more of the stream needs no second read of it. */
  visit?: (event: StoredEvent) => void,
): Promise<VerifyResult> {
  const info = await store.getStream(stream);
  // Where the stream may legitimately begin: revision 0, or the first revision retention or deletion leaves.
  const floor = info?.metadata.truncateBefore ?? 0;
  const retentionMayHide = info?.metadata.maxAgeSeconds !== undefined || info?.state === 'deleted';
  let expectedPrev: string | null | undefined;
  let expectedRevision: number | undefined;
  let count = 0;
  let from = 0;
  for (;;) {
    const page = await store.readStream(stream, { fromRevision: from, limit: pageSize });
    if (page.length === 0) return { ok: true, stream, events: count };
    for (const event of page) {
      count++;
      visit?.(event);
      const brokenAt = { revision: event.revision, position: event.position, eventId: event.id };
      if (expectedRevision === undefined) {
        // The first event shown: revision 0 links to nothing; a later first revision only where retention explains it.
        const explained = event.revision === 0 ? event.prevHash === null : event.revision <= floor || retentionMayHide;
        if (!explained) return { ok: false, stream, events: count, brokenAt, reason: 'revision-gap' };
      } else if (event.revision !== expectedRevision) {
        return { ok: false, stream, events: count, brokenAt, reason: 'revision-gap' };
      }
      const prev = expectedPrev === undefined ? event.prevHash : expectedPrev;
      const content = contentHash(event);
      const recomputed = chainHash(prev === null ? null : Buffer.from(prev, 'hex'), content, event.revision).toString(
        'hex',
      );
      if (recomputed !== event.hash) {
        // Either this event's content changed, or its stored link to the previous event did.
        const withStoredPrev = chainHash(
          event.prevHash === null ? null : Buffer.from(event.prevHash, 'hex'),
          content,
          event.revision,
        ).toString('hex');
        const reason = withStoredPrev === event.hash && event.prevHash !== prev ? 'chain-broken' : 'content-altered';
        return { ok: false, stream, events: count, brokenAt, reason };
      }
      expectedPrev = event.hash;
      expectedRevision = event.revision + 1;
    }
    from = (page.at(-1)?.revision ?? from) + 1;
  }
}
