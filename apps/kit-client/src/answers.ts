/**
 * What the kit keeps of the server's answer to an item: the first answer (for `accepted`, `recorded-as-conflict`,
 * and for a `duplicate`, which repeats the answer the first upload got), or the refusal (`conflict`, `rejected`).
 * Pure: the store keeps these, status reads them back through the same schema.
 */
import { firstAnswer, type SyncItemResult, syncItemResult } from '@buergerkoffer/shared/contracts';
import { z } from 'zod';

/** The statuses an answered item ends in (a duplicate is kept as the first answer it repeats). */
export const ANSWER_STATUSES = ['accepted', 'recorded-as-conflict', 'conflict', 'rejected'] as const;
export type AnswerStatus = (typeof ANSWER_STATUSES)[number];

const conflictItem = syncItemResult.options[3].omit({ index: true });
const rejectedItem = syncItemResult.options[4].omit({ index: true });
/** An answer as stored: the first answer (for `accepted`, `recorded-as-conflict`, and duplicates), or the refusal. */
export const storedAnswer = z.discriminatedUnion('status', [
  firstAnswer.options[0],
  firstAnswer.options[1],
  conflictItem,
  rejectedItem,
]);
export type StoredAnswer = z.infer<typeof storedAnswer>;

/** What is stored for an item's result: a duplicate keeps the first answer, noting that it was one. */
export function answerOf(result: SyncItemResult): { answer: StoredAnswer; duplicate: boolean } {
  switch (result.status) {
    case 'duplicate':
      return { answer: result.first, duplicate: true };
    case 'accepted':
    case 'recorded-as-conflict':
    case 'conflict':
    case 'rejected': {
      const { index: _index, ...answer } = result;
      return { answer, duplicate: false };
    }
    default: {
      const _exhaustive: never = result;
      return _exhaustive;
    }
  }
}
