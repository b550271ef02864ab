/**
 * Live feeds for staff UIs as Server-Sent Events. One store subscription per process (the hub) fans events out to
 * every connected client; each client's SSE id is the event's global position, so a client resuming with
 * `Last-Event-ID` gets exactly the events after it: first from the hub's recent-events ring or, further back, from
 * the store (up to the position the hub had delivered when the client registered), then live events queued since
 * registration. Positions only grow, so nothing is missed between the two and nothing is sent twice.
 *
 * A client that does not keep up is not buffered without bound: once its unsent bytes pass a limit it receives a
 * retry hint naming the last event it was sent, and the server closes the stream; it reconnects and resumes.
 */
import type { ServerResponse } from 'node:http';
import {
  type EventFilter,
  type EventStore,
  type Processor,
  type ProcessorRegistry,
  type StoredEvent,
  startProcessor,
} from '@buergerkoffer/shared/event-sourcing';
import { FeedClient, type FeedSpec } from './feed-client.ts';

export type { FeedSpec } from './feed-client.ts';

export interface FeedHubOptions {
  readonly heartbeatMs: number;
  readonly maxBufferedBytes: number;
  readonly retryMs: number;
  readonly recentEvents: number;
  /** How long a catching-up client may leave its socket full before it is disconnected (ms). */
  readonly drainTimeoutMs: number;
  readonly maxFeedsPerSubject: number;
  /** Live events a client may have waiting (while it catches up, or while events are rendered) before it is cut off. */
  readonly maxQueuedEvents: number;
  /** First and longest wait before the hub subscribes again after its store subscription failed (ms). */
  readonly resubscribeMs: readonly [number, number];
}

export const DEFAULT_FEED_OPTIONS: FeedHubOptions = {
  heartbeatMs: 15_000,
  maxBufferedBytes: 1 << 20,
  retryMs: 2_000,
  recentEvents: 5_000,
  drainTimeoutMs: 30_000,
  maxFeedsPerSubject: 10,
  maxQueuedEvents: 10_000,
  resubscribeMs: [500, 30_000],
};

interface FeedLogger {
  error(object: object, message: string): void;
}

export class FeedHub {
  readonly #store: EventStore;
  readonly #options: FeedHubOptions;
  readonly #logger: FeedLogger | undefined;
  readonly #registry: ProcessorRegistry | undefined;
  readonly #clients = new Set<FeedClient>();
  /** Clients disconnected for being too slow, since start (exported as a metric). */
  overflows = 0;
  readonly #recent: StoredEvent[] = [];
  /** Every event after this position is in `#recent` (or was delivered after it). */
  #recentFloor = 0;
  #position = 0;
  #processor: Processor | undefined;
  readonly #reserved = new Map<string, number>();

  constructor(
    store: EventStore,
    options: Partial<FeedHubOptions> = {},
    logger?: FeedLogger,
    registry?: ProcessorRegistry,
  ) {
    this.#store = store;
    this.#options = { ...DEFAULT_FEED_OPTIONS, ...options };
    this.#logger = logger;
    this.#registry = registry;
  }

  /** The position of the last event the hub delivered: where a feed without Last-Event-ID starts. */
  get position(): number {
    return this.#position;
  }

  get clients(): number {
    return this.#clients.size;
  }

  /** Whether the hub follows the store now (false while it waits to follow again after a failure). */
  get live(): boolean {
    return this.#processor?.healthy ?? false;
  }

  /**
   * Reserves one of `subject`'s feeds (fewer than the per-caller limit are open or reserved), synchronously, so
   * parallel requests cannot all pass the check; `undefined` when the caller has none left. Release it when the
   * feed ends — or is never opened.
   */
  reserve(subject: string): (() => void) | undefined {
    let open = this.#reserved.get(subject) ?? 0;
    for (const client of this.#clients) if (client.subject === subject) open++;
    if (open >= this.#options.maxFeedsPerSubject) return undefined;
    this.#reserved.set(subject, (this.#reserved.get(subject) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.#reserved.get(subject) ?? 1) - 1;
      if (left > 0) this.#reserved.set(subject, left);
      else this.#reserved.delete(subject);
    };
  }

  /**
   * Follows the store from its head, as a processor (`casefile:feed-hub`) whose checkpoint is the last position
   * delivered, kept in memory. When following fails (the database restarted, a failover), clients are told to come
   * back and resume, and the processor follows again from where it was after a growing pause — it never stays
   * silent with clients connected, and readiness reports it while it keeps failing.
   */
  async start(filter?: EventFilter): Promise<void> {
    this.#position = await this.#store.headPosition();
    this.#recentFloor = this.#position;
    this.#processor = startProcessor(
      this.#store,
      {
        name: 'casefile:feed-hub',
        ...(filter ? { filter } : {}),
        retryMs: this.#options.resubscribeMs,
        ...(this.#logger ? { log: this.#logger } : {}),
        ...(this.#registry ? { registry: this.#registry } : {}),
      },
      {
        resumeFrom: () => this.#position,
        handle: (batch) => {
          for (const event of batch) this.#deliver(event);
          return undefined;
        },
        onFailure: () => {
          for (const client of this.#clients) client.overflow();
        },
      },
    );
    await this.#processor.caughtUp;
  }

  #deliver(event: StoredEvent): void {
    if (event.position <= this.#position) return;
    this.#position = event.position;
    this.#recent.push(event);
    if (this.#recent.length > this.#options.recentEvents) {
      this.#recentFloor = this.#recent.shift()?.position ?? this.#recentFloor;
    }
    for (const client of this.#clients) client.offer(event);
  }

  /**
   * Streams `spec`'s events after `from` to `res` (a hijacked response: headers are written here), then live.
   * A `from` beyond the store's head (an id from before a restore, or from another installation) would silently
   * skip everything up to it: such a client gets an `event: reset` frame naming the head, and the feed continues
   * from there — the client reloads what it shows.
   */
  async connect(
    res: ServerResponse,
    spec: FeedSpec,
    from: number,
    release: () => void = () => undefined,
  ): Promise<void> {
    // Only an id past the hub's position needs the store's head; unknown (the store failing) → a retry, not a reset.
    const head = from > this.#position ? await this.#store.headPosition().catch(() => undefined) : from;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no', // nginx: do not buffer the stream
    });
    res.write(`retry: ${this.#options.retryMs}\n: connected at position ${this.#position}\n\n`);
    let start = from;
    if (head !== undefined && from > head) {
      start = this.#position;
      res.write(
        `id: ${start}\nevent: reset\ndata: ${JSON.stringify({
          reason: 'Last-Event-ID is beyond the newest event: reload, the feed continues from the head',
          lastEventId: String(from),
          head: String(start),
        })}\n\n`,
      );
    }
    const client = new FeedClient(
      res,
      spec,
      start,
      this.#options,
      (ended, overflowed) => {
        this.#clients.delete(ended);
        if (overflowed) this.overflows++;
      },
      (error) => this.#logger?.error({ err: error }, 'live feed: an event could not be sent; the client resumes'),
    );
    // Registered before the catch-up is read: events the hub delivers from now on queue up in the client.
    this.#clients.add(client);
    release(); // the reservation is now the client itself
    if (!this.live || head === undefined) {
      client.overflow(); // the hub is between two attempts to follow the store: come back shortly
      return;
    }
    const upTo = this.#position;
    const fromRing = start >= this.#recentFloor ? this.#recent.filter((event) => event.position <= upTo) : undefined;
    await client.catchUp(upTo, fromRing);
  }

  async stop(): Promise<void> {
    for (const client of this.#clients) client.end();
    await this.#processor?.stop();
  }
}
