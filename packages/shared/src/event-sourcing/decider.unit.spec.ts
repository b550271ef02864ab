import { describe, it } from 'vitest';
import { DeciderSpecification } from '../testing/decider-specification.ts';
import { TallyClosedError, tallyDecider } from './sample-counter.fixture.ts';

const spec = DeciderSpecification.for(tallyDecider);
const now = '2026-11-25T10:00:00.000Z';
const counted = (item: string) => ({ type: 'ItemCounted' as const, data: { tallyId: 't1', item, countedAt: now } });

describe('DeciderSpecification', () => {
  describe('an empty tally', () => {
    it('counts an item', () => {
      spec
        .given([])
        .when({ type: 'CountItem', tallyId: 't1', item: 'a', now })
        .then([counted('a')]);
    });
    it('closing it changes nothing', () => {
      spec.given([]).when({ type: 'CloseTally', tallyId: 't1', now }).then([]);
    });
  });

  describe('a closed tally', () => {
    const closed = [counted('a'), { type: 'TallyClosed' as const, data: { tallyId: 't1', closedAt: now } }];
    it('refuses another item with a domain error', () => {
      spec
        .given(closed)
        .when({ type: 'CountItem', tallyId: 't1', item: 'b', now })
        .thenThrows(TallyClosedError, /closed/);
    });
    it('keeps its items', () => {
      spec
        .given(closed)
        .when({ type: 'CloseTally', tallyId: 't1', now })
        .thenThrows((e) => e instanceof TallyClosedError);
      spec
        .given([counted('a')])
        .when({ type: 'CloseTally', tallyId: 't1', now })
        .thenState({ status: 'closed', items: ['a'] });
    });
  });
});
