/**
 * An event store that hands every call to another: the base of the store's decorators (sealing personal data,
 * taking turns on the event loop, …), which override only what they change — the forwarding is written once.
 */
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
} from './types.ts';

export class ForwardingEventStore implements EventStore {
  protected readonly inner: EventStore;

  constructor(inner: EventStore) {
    this.inner = inner;
  }

  append(stream: string, events: readonly EventToAppend[], expected?: ExpectedState): Promise<AppendResult> {
    return this.inner.append(stream, events, expected);
  }
  readStream(stream: string, options?: ReadStreamOptions): Promise<StoredEvent[]> {
    return this.inner.readStream(stream, options);
  }
  readAll(options?: ReadAllOptions): Promise<StoredEvent[]> {
    return this.inner.readAll(options);
  }
  readCase(tenantId: string, caseId: string, options?: ReadCaseOptions): Promise<StoredEvent[]> {
    return this.inner.readCase(tenantId, caseId, options);
  }
  subscribe(options: SubscribeOptions, handler: EventHandler): Subscription {
    return this.inner.subscribe(options, handler);
  }
  headPosition(): Promise<number> {
    return this.inner.headPosition();
  }
  getStream(stream: string): Promise<StreamInfo | undefined> {
    return this.inner.getStream(stream);
  }
  setStreamMetadata(stream: string, metadata: StreamMetadata): Promise<void> {
    return this.inner.setStreamMetadata(stream, metadata);
  }
  deleteStream(stream: string, options?: { expected?: ExpectedState; hard?: boolean }): Promise<void> {
    return this.inner.deleteStream(stream, options);
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}
