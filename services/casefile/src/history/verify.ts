/**
 * Integrity of a case's history: the hash chain of every stream that holds an event about the case, recomputed
 * from the events as stored, and the case index checked against those streams (an event removed from the index
 * would vanish from the history while every chain still verifies).
 */
import { type EventStore, type StoredEvent, verifyStream } from '@buergerkoffer/shared/event-sourcing';
import { namesCase, readWholeCase } from './history.ts';

export type CaseVerification =
  | { readonly ok: true; readonly streams: number; readonly events: number }
  | {
      readonly ok: false;
      readonly streams: number;
      readonly events: number;
      readonly brokenAt: { readonly stream: string; readonly revision: number; readonly position: number };
      readonly reason: 'content-altered' | 'chain-broken' | 'revision-gap' | 'missing-from-case-history';
    };

export async function verifyCase(store: EventStore, tenantId: string, caseId: string): Promise<CaseVerification> {
  // Events appended while we verify (another reader's access record, say) are not yet in the index we read:
  // the index check covers what existed when it started.
  const head = await store.headPosition();
  const indexed = new Set<number>();
  const streams = new Set<string>();
  for await (const event of readWholeCase(store, tenantId, caseId)) {
    indexed.add(event.position);
    streams.add(event.stream);
  }
  let events = 0;
  for (const stream of [...streams].sort()) {
    // One read of the stream: the chain is checked, and every event naming the case must be in its history.
    let missing: StoredEvent | undefined;
    const result = await verifyStream(store, stream, 1_000, (event) => {
      if (
        missing === undefined &&
        event.position <= head &&
        event.metadata.tenantId === tenantId &&
        namesCase(event.metadata, caseId) &&
        !indexed.has(event.position)
      ) {
        missing = event;
      }
    });
    events += result.events;
    // A broken chain is reported before a gap in the index, as it comes first in the order of trust.
    if (!result.ok) {
      const { revision, position } = result.brokenAt;
      return {
        ok: false,
        streams: streams.size,
        events,
        brokenAt: { stream, revision, position },
        reason: result.reason,
      };
    }
    if (missing) {
      return {
        ok: false,
        streams: streams.size,
        events,
        brokenAt: { stream, revision: missing.revision, position: missing.position },
        reason: 'missing-from-case-history',
      };
    }
  }
  return { ok: true, streams: streams.size, events };
}
