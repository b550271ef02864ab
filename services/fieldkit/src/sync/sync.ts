/**
 * Taking in a kit's sync batch: each item checked on its own (an invalid one is answered `rejected` naming its
 * fields, and the others go on), then per visit, in the order sent, decided on the visit's stream as it stands
 * (field-visit.decider.ts) and appended at the revision it was decided on — one append per visit, retried from a
 * fresh read when another writer came between. Every event's id is derived from the kit and the submission id, so:
 *   - a re-upload finds its submission in the visit and answers as the first time (nothing appended);
 *   - the same submission id used on another visit is refused by the store (the id exists elsewhere) and answered
 *     `conflict`, the rest of the visit's items appended without it;
 *   - a request cut off after the append and sent again is a re-upload.
 * A crash at any moment loses nothing the kit was told was taken in: it is told only after the append.
 */
import { createHash } from 'node:crypto';
import {
  type SyncItemResult,
  type SyncRecord,
  type SyncResponse,
  type SyncStatus,
  syncRecord,
} from '@buergerkoffer/shared/contracts';
import {
  type Actor,
  deterministicId,
  type EventStore,
  type EventToAppend,
  IdempotencyConflictError,
  type Json,
  loadStream,
  VersionConflictError,
} from '@buergerkoffer/shared/event-sourcing';
import {
  decideSubmission,
  type FieldVisitState,
  fieldVisitDecider,
  initialFieldVisitState,
  participantsAt,
  type Submission,
} from '../visits/field-visit.decider.ts';
import { type FieldVisitEvent, fieldVisitCodec, toFieldVisitStreamName } from '../visits/field-visit.events.ts';

export interface SyncContext {
  readonly tenantId: string;
  readonly kitId: string;
  readonly actor: Actor;
  readonly correlationId?: string | undefined;
  readonly traceparent?: string | undefined;
  readonly now: () => Date;
}

/** JSON with object keys sorted: the same record gives the same text however its keys were ordered. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, item]) => item !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export const contentHashOf = (record: SyncRecord): string =>
  createHash('sha256').update(canonicalJson(record)).digest('hex');

/**
 * The id of the one event a submission is first stored as — the record taking effect, or the conflict it is held as
 * (which is also the conflict's id): one id per kit and submission id, so the store refuses the same submission id
 * on another visit whichever way either was taken in.
 */
export const submissionEventId = (tenantId: string, kitId: string, submissionId: string) =>
  deterministicId('fieldkit-submission', tenantId, kitId, submissionId);

/** Zod's issues as the fields they name, relative to the item (an unknown key named by itself). */
function fieldErrors(
  issues: readonly { path: readonly PropertyKey[]; message: string; code: string; keys?: readonly string[] }[],
) {
  return issues.flatMap((issue) => {
    const at = issue.path.map(String).join('.');
    if (issue.code === 'unrecognized_keys' && issue.keys)
      return issue.keys.map((key) => ({
        field: at ? `${at}.${key}` : key,
        message: 'not a field of this record (biometrics, photos and PINs never enter the system)',
      }));
    return [{ field: at || '(item)', message: issue.message }];
  });
}

interface Parsed {
  readonly index: number;
  readonly record: SyncRecord;
  readonly submission: Submission;
}

const MAX_ATTEMPTS = 10;

/** Decides and appends one visit's items; answers by index. */
async function syncVisit(
  store: EventStore,
  context: SyncContext,
  visitId: string,
  items: readonly Parsed[],
  answers: Map<number, SyncItemResult>,
): Promise<void> {
  const stream = toFieldVisitStreamName(visitId);
  const reused = new Set<string>();
  for (let attempt = 1; ; attempt++) {
    const loaded = await loadStream(store, fieldVisitDecider, fieldVisitCodec.decode, stream);
    // Another tenant's visit reads as none.
    let state: FieldVisitState =
      loaded.tenantId === undefined || loaded.tenantId === context.tenantId ? loaded.state : initialFieldVisitState();
    const toAppend: EventToAppend[] = [];
    const pending = new Map<number, SyncItemResult>();
    const eventOwner = new Map<string, number>();
    const append = (event: FieldVisitEvent, id: string, index: number, caseIds: readonly string[]) => {
      toAppend.push({
        id,
        type: event.type,
        data: event.data as Json,
        metadata: {
          tenantId: context.tenantId,
          actor: context.actor,
          ...(caseIds.length === 1 ? { caseId: caseIds[0] } : { caseIds: [...caseIds] }),
          ...(context.correlationId ? { correlationId: context.correlationId } : {}),
          ...(context.traceparent ? { traceparent: context.traceparent } : {}),
        },
      });
      eventOwner.set(id, index);
      state = fieldVisitDecider.evolve(state, event);
    };
    for (const { index, record, submission } of items) {
      const base = { index, submissionId: record.submissionId };
      if (reused.has(record.submissionId)) {
        pending.set(index, {
          ...base,
          status: 'conflict',
          code: 'submission-id-reused',
          detail: `submission ${record.submissionId} was taken in before on another visit`,
        });
        continue;
      }
      const decision = decideSubmission(state, context.kitId, record, submission);
      const caseIds =
        'caseId' in record ? [record.caseId] : participantsAt(state, record.baseVersion).map((p) => p.caseId);
      switch (decision.answer) {
        case 'duplicate':
          pending.set(index, { ...base, status: 'duplicate', first: decision.first });
          break;
        case 'conflict':
          pending.set(index, { ...base, status: 'conflict', code: 'submission-id-reused', detail: decision.detail });
          break;
        case 'rejected':
          pending.set(index, { ...base, status: 'rejected', errors: [...decision.errors] });
          break;
        case 'accepted':
          append(
            decision.event,
            submissionEventId(context.tenantId, context.kitId, record.submissionId),
            index,
            caseIds,
          );
          pending.set(index, { ...base, status: 'accepted', visitId, sequence: record.sequence });
          break;
        case 'recorded-as-conflict': {
          const conflictId = submissionEventId(context.tenantId, context.kitId, record.submissionId);
          append(
            {
              type: 'SubmissionConflictRecorded',
              data: {
                conflictId,
                visitId,
                kitId: context.kitId,
                severity: decision.severity,
                fields: [...decision.fields],
                officeVersion: state.version,
                record: record as unknown as Record<string, unknown>,
                submission,
                ...('caseId' in record ? { caseId: record.caseId } : {}),
                recordedAt: context.now().toISOString(),
              },
            },
            conflictId,
            index,
            caseIds,
          );
          pending.set(index, {
            ...base,
            status: 'recorded-as-conflict',
            visitId,
            sequence: record.sequence,
            conflictId,
            severity: decision.severity,
            fields: [...decision.fields],
          });
          break;
        }
        default: {
          const _unhandled: never = decision;
        }
      }
    }
    try {
      if (toAppend.length > 0)
        await store.append(stream, toAppend, loaded.revision < 0 ? 'no-stream' : { revision: loaded.revision });
      for (const [index, result] of pending) answers.set(index, result);
      return;
    } catch (error) {
      if (attempt >= MAX_ATTEMPTS) throw error;
      if (error instanceof VersionConflictError) continue;
      if (error instanceof IdempotencyConflictError) {
        // Either another request took the same submissions in on this visit meanwhile (the same batch sent twice at
        // once: its events differ in what varies per request, so the store sees other content) — the next round
        // finds them in the stream and answers them as duplicates — or an id is stored on another visit: that
        // submission id was used there, and is answered so while the rest go on.
        const now = await loadStream(store, fieldVisitDecider, fieldVisitCodec.decode, stream);
        const before = reused.size;
        for (const id of error.eventIds) {
          if (now.ids.has(id)) continue;
          const index = eventOwner.get(id);
          const item = items.find((candidate) => candidate.index === index);
          if (item) reused.add(item.record.submissionId);
        }
        if (reused.size > before || error.eventIds.some((id) => now.ids.has(id))) continue;
      }
      throw error;
    }
  }
}

/** The batch's answers, one per item in the order sent. */
export async function syncBatch(
  store: EventStore,
  context: SyncContext,
  items: readonly Record<string, unknown>[],
): Promise<SyncResponse> {
  const answers = new Map<number, SyncItemResult>();
  const byVisit = new Map<string, Parsed[]>();
  items.forEach((item, index) => {
    const parsed = syncRecord.safeParse(item);
    if (!parsed.success) {
      const submissionId = typeof item.submissionId === 'string' ? item.submissionId : undefined;
      answers.set(index, {
        index,
        ...(submissionId ? { submissionId } : {}),
        status: 'rejected',
        errors: fieldErrors(parsed.error.issues as never),
      });
      return;
    }
    const record = parsed.data;
    const submission: Submission = {
      submissionId: record.submissionId,
      deviceId: record.deviceId,
      baseVersion: record.baseVersion,
      capturedAt: record.capturedAt,
      sequence: record.sequence,
      contentHash: contentHashOf(record),
    };
    const group = byVisit.get(record.visitId) ?? [];
    group.push({ index, record, submission });
    byVisit.set(record.visitId, group);
  });
  for (const [visitId, group] of byVisit) await syncVisit(store, context, visitId, group, answers);
  const results = items.map((_, index) => {
    const answer = answers.get(index);
    if (!answer) throw new Error(`sync: item ${index} has no answer`);
    return answer;
  });
  const counts: Record<SyncStatus, number> = {
    accepted: 0,
    duplicate: 0,
    conflict: 0,
    'recorded-as-conflict': 0,
    rejected: 0,
  };
  for (const result of results) counts[result.status]++;
  return { kitId: context.kitId, results, counts };
}
