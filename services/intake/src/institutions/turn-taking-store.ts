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
import type {
  AppendResult,
  EventHandler,
  EventStore,
  EventToAppend,
  ExpectedState,
  ReadAllOptions,
  ReadCaseOptions,
  ReadStreamOptions,
  StoredEvent,
  StreamInfo,
  StreamMetadata,
  SubscribeOptions,
  Subscription,
} from '@buergerkoffer/shared/event-sourcing';

export class TurnTakingStore implements EventStore {
  readonly #inner: EventStore;

  constructor(inner: EventStore) {
    this.#inner = inner;
  }

  async append(stream: string, events: readonly EventToAppend[], expected?: ExpectedState): Promise<AppendResult> {
    try {
      return await this.#inner.append(stream, events, expected);
    } finally {
      await nextTurn();
    }
  }
  readStream(stream: string, options?: ReadStreamOptions): Promise<StoredEvent[]> {
    return this.#inner.readStream(stream, options);
  }
  readAll(options?: ReadAllOptions): Promise<StoredEvent[]> {
    return this.#inner.readAll(options);
  }
  readCase(tenantId: string, caseId: string, options?: ReadCaseOptions): Promise<StoredEvent[]> {
    return this.#inner.readCase(tenantId, caseId, options);
  }
  subscribe(options: SubscribeOptions, handler: EventHandler): Subscription {
    return this.#inner.subscribe(options, handler);
  }
  headPosition(): Promise<number> {
    return this.#inner.headPosition();
  }
  getStream(stream: string): Promise<StreamInfo | undefined> {
    return this.#inner.getStream(stream);
  }
  setStreamMetadata(stream: string, metadata: StreamMetadata): Promise<void> {
    return this.#inner.setStreamMetadata(stream, metadata);
  }
  deleteStream(stream: string, options?: { expected?: ExpectedState; hard?: boolean }): Promise<void> {
    return this.#inner.deleteStream(stream, options);
  }
  close(): Promise<void> {
    return this.#inner.close();
  }
}
