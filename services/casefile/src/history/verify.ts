/**
 * Integrity of a case's history: the hash chain of every stream that holds an event about the case, recomputed
 * from the events as stored, and the case index checked against those streams (an event removed from the index
 * would vanish from the history while every chain still verifies).
 */
import { type EventStore, verifyStream } from '@buergerkoffer/shared/event-sourcing';
import { readWholeCase } from './history.ts';

export type CaseVerification =
  | { readonly ok: true; readonly streams: number; readonly events: number }
  | {
      readonly ok: false;
      readonly streams: number;
      readonly events: number;
      readonly brokenAt: { readonly stream: string; readonly revision: number; readonly position: number };
      readonly reason: 'content-altered' | 'chain-broken' | 'revision-gap' | 'missing-from-case-history';
    };

const namesCase = (
  metadata: { caseId?: string | undefined; caseIds?: readonly string[] | undefined },
  caseId: string,
) => metadata.caseId === caseId || (metadata.caseIds?.includes(caseId) ?? false);

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
    const result = await verifyStream(store, stream);
    events += result.events;
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
    // Every event of the stream that names the case must be in the case's history.
    for (let from = 0; ; ) {
      const page = await store.readStream(stream, { fromRevision: from, limit: 1_000 });
      for (const event of page) {
        if (
          event.position <= head &&
          namesCase(event.metadata, caseId) &&
          event.metadata.tenantId === tenantId &&
          !indexed.has(event.position)
        ) {
          return {
            ok: false,
            streams: streams.size,
            events,
            brokenAt: { stream, revision: event.revision, position: event.position },
            reason: 'missing-from-case-history',
          };
        }
      }
      const last = page.at(-1);
      if (!last || page.length < 1_000) break;
      from = last.revision + 1;
    }
  }
  return { ok: true, streams: streams.size, events };
}
