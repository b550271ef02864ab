/**
 * Reading a case is itself recorded: who, when, which view, and the stated purpose, as an event on the case's
 * access-log stream (`caseAccess-<caseId>`). It names the case, so the history shows it beside everything else and
 * its hash chain is verified with the rest. The record is written before anything is read: a read that could not
 * be recorded is not served.
 */
import { ANY, type EventStore, uuidv7 } from '@buergerkoffer/shared/event-sourcing';
import { ACCESS_LOG_CATEGORY } from './services.ts';

export const CASE_RECORD_ACCESSED = 'CaseRecordAccessed';

export type AccessedResource = 'history' | 'state' | 'export' | 'feed';

export interface AccessRecord {
  readonly tenantId: string;
  readonly caseId: string;
  readonly actor: { readonly id: string; readonly role: string };
  readonly resource: AccessedResource;
  readonly purpose: string | null;
  /** What was asked for (page cursor, `at`, format): enough to tell later what the reader saw. */
  readonly query: Readonly<Record<string, string | number>>;
  readonly correlationId: string;
  readonly traceparent?: string | undefined;
}

export const accessLogStream = (caseId: string) => `${ACCESS_LOG_CATEGORY}-${caseId}`;

export async function recordAccess(store: EventStore, record: AccessRecord, now: Date): Promise<number> {
  const result = await store.append(
    accessLogStream(record.caseId),
    [
      {
        id: uuidv7(),
        type: CASE_RECORD_ACCESSED,
        data: {
          caseId: record.caseId,
          resource: record.resource,
          purpose: record.purpose,
          query: record.query,
          accessedAt: now.toISOString(),
        },
        metadata: {
          tenantId: record.tenantId,
          caseId: record.caseId,
          actor: record.actor,
          correlationId: record.correlationId,
          ...(record.traceparent ? { traceparent: record.traceparent } : {}),
        },
      },
    ],
    ANY,
  );
  return result.position;
}
