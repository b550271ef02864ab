/**
 * A case's history: every stored event whose metadata names the case, from every service, in global order — read
 * through the store's case index (cost ∝ the case's own events), shown with the personal data the caller may see.
 */
import type { EventMetadata, EventStore, Json, StoredEvent } from '@buergerkoffer/shared/event-sourcing';
import { type Disclosure, disclose, type PersonalDataProtector } from '@buergerkoffer/shared/privacy';
import { serviceOf } from './services.ts';

export interface HistoryEntry {
  readonly position: number;
  readonly recordedAt: string;
  readonly service: string;
  readonly stream: string;
  readonly revision: number;
  readonly type: string;
  readonly schemaVersion: number;
  readonly actor: { readonly id: string; readonly role: string } | null;
  readonly correlationId: string | null;
  readonly causationId: string | null;
  readonly data: Json;
}

export interface HistoryPage {
  readonly caseId: string;
  readonly events: HistoryEntry[];
  readonly next: string | null;
}

/** Cursors are opaque to clients (so their form may change); inside, the last position served. */
export const encodeCursor = (position: number): string => Buffer.from(`p:${position}`).toString('base64url');
export function decodeCursor(cursor: string): number | undefined {
  const match = /^p:(\d{1,16})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  return match ? Number(match[1]) : undefined;
}

export async function toEntry(
  protector: PersonalDataProtector,
  event: StoredEvent,
  disclosure: Disclosure,
): Promise<HistoryEntry> {
  const { actor, correlationId, causationId } = event.metadata;
  return {
    position: event.position,
    recordedAt: event.recordedAt.toISOString(),
    service: serviceOf(event.stream),
    stream: event.stream,
    revision: event.revision,
    type: event.type,
    schemaVersion: event.schemaVersion,
    actor: actor ? { id: actor.id, role: actor.role } : null,
    correlationId: correlationId ?? null,
    causationId: causationId ?? null,
    data: await disclose(protector, event, disclosure),
  };
}

/** One page of the history after `afterPosition`; `next` is null on the last page. */
export async function readHistoryPage(
  store: EventStore,
  protector: PersonalDataProtector,
  request: { tenantId: string; caseId: string; afterPosition: number; limit: number },
  disclosure: Disclosure,
): Promise<HistoryPage> {
  // One more than asked: whether a next page exists, without an extra round trip.
  const events = await store.readCase(request.tenantId, request.caseId, {
    afterPosition: request.afterPosition,
    limit: request.limit + 1,
  });
  const page = events.slice(0, request.limit);
  const last = page.at(-1);
  return {
    caseId: request.caseId,
    events: await Promise.all(page.map((event) => toEntry(protector, event, disclosure))),
    next: events.length > request.limit && last ? encodeCursor(last.position) : null,
  };
}

/** Every event of the case, page by page (the store's pages), as stored. */
export async function* readWholeCase(
  store: EventStore,
  tenantId: string,
  caseId: string,
  pageSize = 1_000,
): AsyncGenerator<StoredEvent> {
  let after = 0;
  for (;;) {
    const page = await store.readCase(tenantId, caseId, { afterPosition: after, limit: pageSize });
    yield* page;
    const last = page.at(-1);
    if (!last || page.length < pageSize) return;
    after = last.position;
  }
}

/** Whether an event's metadata names the case (its `caseId`, or one of its `caseIds`). */
export const namesCase = (metadata: EventMetadata, caseId: string): boolean =>
  metadata.caseId === caseId || (metadata.caseIds?.includes(caseId) ?? false);

/** Whether the tenant has any event about the case (a case of another tenant is as absent as an unknown one). */
export async function caseExists(store: EventStore, tenantId: string, caseId: string): Promise<boolean> {
  return (await store.readCase(tenantId, caseId, { limit: 1 })).length > 0;
}
