/**
 * `kit sync`: sends the pending records in sequence order, in batches, and stores the answers. Each batch's answers
 * are stored in one transaction, only once the response has arrived; an item is answered only when its answer is
 * committed. A batch without an answer is sent again, unchanged, after a backoff (retry.ts) until the deadline: the
 * server answers a re-sent item as the first time (`duplicate`, carrying the first answer), so a crash or a lost
 * response at any point costs a re-send, never a double record. `rejected` and `conflict` are final answers: stored
 * and reported, and the queue goes on.
 */
import { MAX_SYNC_ITEMS, type SyncItemResult, type SyncStatus, syncRequest } from '@buergerkoffer/shared/contracts';
import { EXIT, type Io } from './io.ts';
import type { KitApi, Problem } from './kit-api.ts';
import { withRetry } from './retry.ts';
import type { KitStore, PendingItem } from './store.ts';

export interface SyncDeps {
  readonly store: KitStore;
  readonly api: KitApi;
  readonly io: Io;
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<void>;
  readonly random: () => number;
}

export interface SyncOptions {
  /** Items per request, 1 … MAX_SYNC_ITEMS. */
  readonly batch: number;
  /** How long the whole sync may take, in ms. */
  readonly deadlineMs: number;
  /** How long one request may take, in ms. */
  readonly requestTimeoutMs: number;
}

export const DEFAULT_SYNC: SyncOptions = { batch: 100, deadlineMs: 60_000, requestTimeoutMs: 15_000 };

const STATUSES: readonly SyncStatus[] = ['accepted', 'duplicate', 'recorded-as-conflict', 'conflict', 'rejected'];

export const describeProblem = (problem: Problem): string =>
  `HTTP ${problem.status} ${problem.title}${problem.detail ? `: ${problem.detail}` : ''}${
    problem.errors?.length ? ` (${problem.errors.map((e) => `${e.field}: ${e.message}`).join('; ')})` : ''
  }`;

/** Each item's result, matched by index and submission id; an item without a matching result is left out. */
export function matchResults(
  items: readonly PendingItem[],
  results: readonly SyncItemResult[],
): { answers: { submissionId: string; result: SyncItemResult }[]; unanswered: string[] } {
  const byIndex = new Map(results.map((result) => [result.index, result]));
  const answers: { submissionId: string; result: SyncItemResult }[] = [];
  const unanswered: string[] = [];
  for (const [index, item] of items.entries()) {
    const result = byIndex.get(index);
    if (result !== undefined && (result.submissionId === undefined || result.submissionId === item.submissionId))
      answers.push({ submissionId: item.submissionId, result });
    else unanswered.push(item.submissionId);
  }
  return { answers, unanswered };
}

function reportFinal(io: Io, item: PendingItem | undefined, result: SyncItemResult): void {
  const at = item
    ? `${result.submissionId ?? item.submissionId} (visit ${item.record.visitId}, #${item.sequence})`
    : '';
  switch (result.status) {
    case 'rejected':
      io.err(`sync: rejected ${at}: ${result.errors.map((e) => `${e.field}: ${e.message}`).join('; ')}`);
      break;
    case 'conflict':
      io.err(`sync: conflict ${at}: ${result.detail}`);
      break;
    case 'recorded-as-conflict':
      io.err(`sync: recorded as a ${result.severity} conflict for the office ${at}: ${result.fields.join(', ')}`);
      break;
    case 'accepted':
    case 'duplicate':
      break;
    default: {
      const _exhaustive: never = result;
      throw new Error(`unknown sync status ${JSON.stringify(_exhaustive)}`);
    }
  }
}

export async function runSync(deps: SyncDeps, options: SyncOptions): Promise<number> {
  const { store, api, io } = deps;
  const batchSize = Math.min(Math.max(1, options.batch), MAX_SYNC_ITEMS);
  const startedAt = deps.now();
  const deadlineAt = startedAt + options.deadlineMs;
  const nowIso = () => new Date(deps.now()).toISOString();
  const total = await store.pendingCount();
  if (total === 0) {
    io.out('sync: nothing pending');
    return EXIT.ok;
  }
  const counts = new Map<SyncStatus, number>();
  let sent = 0;
  const gaveUp = async (why: string, stoppedAt = deps.now()) => {
    const took = ((stoppedAt - startedAt) / 1000).toFixed(1);
    const pending = await store.pendingCount();
    io.err(
      `sync: ${why}; gave up after ${took} s with ${pending} of ${total} still pending: try again when there is reception (kit sync)`,
    );
    return EXIT.tempFail;
  };
  for (;;) {
    const items = await store.pending(batchSize);
    if (items.length === 0) break;
    if (deps.now() >= deadlineAt) return gaveUp('the deadline came');
    const ids = items.map((item) => item.submissionId);
    const records = items.map((item) => item.record);
    syncRequest.parse({ items: records }); // the batch as the contract takes it (1 … MAX_SYNC_ITEMS items)
    await store.noteAttempt(ids, nowIso());
    const outcome = await withRetry((timeoutMs) => api.sync(records, timeoutMs), {
      deadlineAt,
      requestTimeoutMs: options.requestTimeoutMs,
      now: deps.now,
      sleep: deps.sleep,
      random: deps.random,
      onRetry: async (reason, delayMs, attempt) => {
        await store.noteFailure(ids, reason, nowIso());
        io.err(`sync: no answer (${reason}); retrying in ${(delayMs / 1000).toFixed(1)} s (attempt ${attempt + 1})`);
        await store.noteAttempt(ids, nowIso());
      },
    });
    switch (outcome.kind) {
      case 'deadline': {
        const stoppedAt = deps.now();
        await store.noteFailure(ids, outcome.reason, nowIso());
        return gaveUp(`no answer before the deadline (${outcome.reason})`, stoppedAt);
      }
      case 'unauthorised':
        await store.noteFailure(ids, describeProblem(outcome.problem), nowIso());
        io.err(`sync: not authorised: ${describeProblem(outcome.problem)} (a kit-device token for this kit?)`);
        return EXIT.noPerm;
      case 'failed':
        await store.noteFailure(ids, describeProblem(outcome.problem), nowIso());
        io.err(`sync: refused: ${describeProblem(outcome.problem)}`);
        return EXIT.failed;
      case 'not-modified':
        await store.noteFailure(ids, 'HTTP 304 to a sync', nowIso());
        io.err('sync: the server answered the sync with 304 Not Modified');
        return EXIT.failed;
      case 'ok': {
        const { answers, unanswered } = matchResults(items, outcome.value.results);
        await store.storeAnswers(answers, nowIso());
        sent += items.length;
        const bySubmission = new Map(items.map((item) => [item.submissionId, item]));
        for (const { submissionId, result } of answers) {
          counts.set(result.status, (counts.get(result.status) ?? 0) + 1);
          reportFinal(io, bySubmission.get(submissionId), result);
        }
        const summary = STATUSES.filter((s) => counts.get(s)).map((s) => `${counts.get(s)} ${s}`);
        io.err(`sent ${sent}/${total}: ${summary.join(', ') || 'no answers'}`);
        if (unanswered.length > 0) {
          await store.noteFailure(unanswered, 'the server answered the batch without these items', nowIso());
          io.err(
            `sync: the server's answer lacked ${unanswered.length} of the ${items.length} items sent (left pending: kit sync sends them again)`,
          );
          return EXIT.failed;
        }
      }
    }
  }
  const summary = STATUSES.filter((s) => counts.get(s)).map((s) => `${counts.get(s)} ${s}`);
  io.out(`sync: ${sent} sent (${summary.join(', ')}); ${await store.pendingCount()} pending`);
  return EXIT.ok;
}
