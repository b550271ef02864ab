import type { SyncItemResult, SyncRecord } from '@buergerkoffer/shared/contracts';
import { describe, expect, it } from 'vitest';
import { answerOf } from './answers.ts';
import { DEVICE, STAFF, VISIT } from './kit.fixture.ts';
import type { PendingItem } from './store.ts';
import { matchResults } from './sync.command.ts';
import { uuidv7 } from './uuidv7.ts';

const item = (sequence: number): PendingItem => {
  const record: SyncRecord = {
    kind: 'visit-started',
    submissionId: uuidv7(),
    deviceId: DEVICE,
    baseVersion: 1,
    capturedAt: '2026-06-03T09:00:00.000+02:00',
    sequence,
    visitId: VISIT,
    recordedBy: STAFF,
  };
  return { sequence, submissionId: record.submissionId, record, attempts: 1 };
};

describe('the answer kept for an item', () => {
  it('is the first answer for a duplicate, noting that it was one', () => {
    const first = { status: 'accepted', visitId: VISIT, sequence: 3 } as const;
    expect(answerOf({ index: 0, submissionId: 's', status: 'duplicate', first })).toEqual({
      answer: first,
      duplicate: true,
    });
  });

  it('is the answer itself otherwise, without its place in the batch', () => {
    const rejected: SyncItemResult = {
      index: 4,
      submissionId: 's',
      status: 'rejected',
      errors: [{ field: 'caseId', message: 'not on this visit' }],
    };
    expect(answerOf(rejected)).toEqual({
      answer: { submissionId: 's', status: 'rejected', errors: [{ field: 'caseId', message: 'not on this visit' }] },
      duplicate: false,
    });
  });
});

describe('matching a batch’s results to its items', () => {
  const items = [item(1), item(2), item(3)];

  it('takes each result by index when its submission id is the item’s', () => {
    const results: SyncItemResult[] = items.map((it, index) => ({
      index,
      submissionId: it.submissionId,
      status: 'accepted',
      visitId: VISIT,
      sequence: it.sequence,
    }));
    expect(matchResults(items, [...results].reverse())).toEqual({
      answers: items.map((it, i) => ({ submissionId: it.submissionId, result: results[i] })),
      unanswered: [],
    });
  });

  it('leaves an item pending when its result is missing or names another submission', () => {
    const [a, b, c] = items;
    const results: SyncItemResult[] = [
      { index: 0, submissionId: a?.submissionId ?? '', status: 'accepted', visitId: VISIT, sequence: 1 },
      { index: 1, submissionId: c?.submissionId ?? '', status: 'accepted', visitId: VISIT, sequence: 3 },
    ];
    const matched = matchResults(items, results);
    expect(matched.answers.map((answer) => answer.submissionId)).toEqual([a?.submissionId]);
    expect(matched.unanswered).toEqual([b?.submissionId, c?.submissionId]);
  });

  it('takes a rejection without a submission id (the server could not read one) by its index', () => {
    const results: SyncItemResult[] = [
      { index: 0, status: 'rejected', errors: [{ field: 'submissionId', message: 'x' }] },
    ];
    expect(matchResults(items.slice(0, 1), results).answers).toHaveLength(1);
  });
});
