/**
 * Every read of a case's personal data is recorded — by any service (intake's case view, eligibility's assessment,
 * casefile's history) — as an event on the case's access-log stream (`caseAccess-<caseId>`): it names the case, so
 * the history shows it beside everything else and its hash chain is verified with the rest. The record is written
 * before anything is served: a read that could not be recorded is not served.
 *
 * Coalesced: one record per actor, case, view, purpose and day (Europe/Berlin) — the first read of the day, with its
 * time and request id. The record answers who saw what, why and when (Art. 30, 32); a UI polling a case every few
 * seconds adds nothing to that, and recording each poll took one case from 4 to 504 events in 500 reads. The purpose
 * is part of the key: a read for another purpose is another processing, and recorded as one. The record's event id
 * derives from that key, so a second read the same day is absorbed by the store (in any process), and this process
 * remembers the ids it wrote so that it does not even ask.
 */

import { deterministicId } from '../event-sourcing/deterministic-id.ts';
import { IdempotencyConflictError } from '../event-sourcing/errors.ts';
import { ANY, type EventStore } from '../event-sourcing/types.ts';
import type { Purpose } from './disclosure-policy.ts';

export const ACCESS_LOG_CATEGORY = 'caseAccess';
export const CASE_RECORD_ACCESSED = 'CaseRecordAccessed';
export const accessLogStream = (caseId: string): string => `${ACCESS_LOG_CATEGORY}-${caseId}`;

export interface AccessRecord {
  readonly tenantId: string;
  readonly caseId: string;
  readonly actor: { readonly id: string; readonly role: string };
  /** The view read: `history`, `state`, `export`, `feed` (casefile), `case` (intake), `assessment` (eligibility). */
  readonly resource: string;
  readonly purpose: Purpose;
  /** The file or request the read was made under (auditors, admins), e.g. "AZ 42/2026". */
  readonly reference?: string | undefined;
  readonly correlationId: string;
  readonly traceparent?: string | undefined;
}

const berlinDay = new Intl.DateTimeFormat('en-CA', {
  timeZone: 'Europe/Berlin',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
});

export interface AccessLog {
  /** Records the read (unless it was recorded today already); throws when it cannot be recorded. */
  record(record: AccessRecord): Promise<void>;
}

export function accessLog(store: EventStore, now: () => Date, options: { remember?: number } = {}): AccessLog {
  const remember = options.remember ?? 10_000;
  /** Ids of records written (or found) by this process, oldest first; bounded. */
  const written = new Set<string>();
  return {
    async record(record) {
      const at = now();
      const day = berlinDay.format(at);
      const id = deterministicId(
        'access',
        record.tenantId,
        record.caseId,
        record.actor.id,
        record.resource,
        record.purpose,
        record.reference ?? '',
        day,
      );
      if (written.has(id)) return;
      try {
        await store.append(
          accessLogStream(record.caseId),
          [
            {
              id,
              type: CASE_RECORD_ACCESSED,
              data: {
                caseId: record.caseId,
                resource: record.resource,
                purpose: record.purpose,
                ...(record.reference ? { reference: record.reference } : {}),
                day,
                firstAccessAt: at.toISOString(),
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
      } catch (error) {
        // The day's record is there already (another process, or this one before a restart): it stands.
        if (!(error instanceof IdempotencyConflictError)) throw error;
      }
      written.add(id);
      if (written.size > remember) {
        const oldest = written.values().next().value;
        if (oldest !== undefined) written.delete(oldest);
      }
    },
  };
}
