/**
 * An event store that hands the event loop back after each append, for writers that append many times in one
 * request (a group request opens up to 60 cases, two appends each). In the embedded system the store and everything
 * an append sets off — relays, projections, the bus, the pre-check, all on this thread — answer without a turn of
 * the loop in between, so a writer's next step would join the same turn and that turn would hold everyone else up.
 * After each append the writer waits for the next turn instead: what the append set off finishes in its own, and
 * other requests get theirs. On the PostgreSQL server each append ends in network I/O anyway; the extra turn costs
 * nothing there.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import {
  type AppendResult,
  type EventToAppend,
  type ExpectedState,
  ForwardingEventStore,
} from '@buergerkoffer/shared/event-sourcing';

export class TurnTakingStore extends ForwardingEventStore {
  override async append(
    stream: string,
    events: readonly EventToAppend[],
    expected?: ExpectedState,
  ): Promise<AppendResult> {
    try {
      return await this.inner.append(stream, events, expected);
    } finally {
      await nextTurn();
    }
  }
}
