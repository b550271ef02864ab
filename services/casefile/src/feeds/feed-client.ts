/**
 * One client of a live feed (Server-Sent Events): what it follows (FeedSpec), catching up from the store and then
 * live events in order, heartbeats, and the limit on what it may leave unsent before it is told to come back. The
 * hub (feed-hub.ts) registers clients and fans the store's events out to them.
 */
import { once } from 'node:events';
import type { ServerResponse } from 'node:http';
import type { StoredEvent } from '@buergerkoffer/shared/event-sourcing';
import type { FeedHubOptions } from './feed-hub.ts';

/** What one client follows, and how its events are shown to it. */
export interface FeedSpec {
  readonly tenantId: string;
  /** Who follows the feed (the token's subject), for the per-caller limit. */
  readonly subject: string;
  /** Whether a (tenant's) event belongs to this feed. */
  readonly matches: (event: StoredEvent) => boolean;
  /** Reads the feed's events after a position from the store, in order (a page). */
  readonly readAfter: (afterPosition: number, limit: number) => Promise<StoredEvent[]>;
  /** The SSE `data:` of an event (JSON, one line). */
  readonly render: (event: StoredEvent) => Promise<string>;
}

const frame = (event: StoredEvent, data: string) => `id: ${event.position}\ndata: ${data}\n\n`;

export class FeedClient {
  readonly #res: ServerResponse;
  readonly #spec: FeedSpec;
  readonly #options: FeedHubOptions;
  readonly #onEnd: (client: FeedClient, overflowed: boolean) => void;
  readonly #onFailure: (error: unknown) => void;
  #overflowed = false;
  readonly #live: StoredEvent[] = [];
  #catchingUp = true;
  #pumping = false;
  #ended = false;
  /** The position of the last event sent (the client's Last-Event-ID). */
  #sent: number;
  readonly #heartbeat: NodeJS.Timeout;

  constructor(
    res: ServerResponse,
    spec: FeedSpec,
    from: number,
    options: FeedHubOptions,
    onEnd: (client: FeedClient, overflowed: boolean) => void,
    onFailure: (error: unknown) => void,
  ) {
    this.#onFailure = onFailure;
    this.#res = res;
    this.#spec = spec;
    this.#sent = from;
    this.#options = options;
    this.#onEnd = onEnd;
    this.#heartbeat = setInterval(
      () => this.#write(`: heartbeat ${new Date().toISOString()}\n\n`),
      options.heartbeatMs,
    );
    this.#heartbeat.unref();
    res.on('close', () => this.end());
  }

  get ended(): boolean {
    return this.#ended;
  }

  get subject(): string {
    return this.#spec.subject;
  }

  #write(text: string): void {
    if (!this.#ended) this.#res.write(text);
  }

  /** Whether the event is this client's: its tenant's, and in its feed. */
  #wants(event: StoredEvent): boolean {
    return event.metadata.tenantId === this.#spec.tenantId && this.#spec.matches(event);
  }

  /** An event delivered by the hub (tenant and filter not yet checked). */
  offer(event: StoredEvent): void {
    if (this.#ended || !this.#wants(event)) return;
    this.#live.push(event);
    // Bounded even while catching up: a client this far behind resumes from the store instead.
    if (this.#live.length > this.#options.maxQueuedEvents) {
      this.overflow();
      return;
    }
    if (!this.#catchingUp) void this.#pump();
  }

  /** Sends the history after `from` up to `upTo` (the hub's position at registration), then goes live. */
  async catchUp(upTo: number, recent: readonly StoredEvent[] | undefined): Promise<void> {
    try {
      if (recent) {
        for (const event of recent) {
          if (event.position > this.#sent && this.#wants(event)) await this.#send(event);
        }
      } else {
        // A cursor of its own: a page may hold nothing for this client (other tenants' events in a global read).
        for (let after = this.#sent; ; ) {
          const page = await this.#spec.readAfter(after, 500);
          const due = page.filter((event) => event.position <= upTo);
          for (const event of due) {
            if (this.#wants(event)) await this.#send(event);
          }
          const last = due.at(-1);
          if (this.#ended || !last || due.length < page.length || page.length < 500) break;
          after = last.position;
        }
      }
    } catch (error) {
      this.end();
      throw error;
    }
    this.#catchingUp = false;
    await this.#pump();
  }

  /**
   * Sends the queued live events in order. Never rejects: an event that cannot be rendered (e.g. the key store
   * unreachable) ends this client's stream — it reconnects with its Last-Event-ID and gets that event again — and
   * must not become an unhandled rejection that takes the process down.
   */
  async #pump(): Promise<void> {
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      for (let event = this.#live.shift(); event && !this.#ended; event = this.#live.shift()) {
        if (event.position > this.#sent) await this.#send(event);
      }
    } catch (error) {
      this.#onFailure(error);
      this.overflow();
    } finally {
      this.#pumping = false;
    }
  }

  /**
   * Writes one frame; when the client's unsent bytes pass the limit, waits for it to drain — catching up or live,
   * a client that reads is never cut off for a burst (its live events queue meanwhile, bounded by
   * `maxQueuedEvents`) — but not for ever: one that has not drained within `drainTimeoutMs` is told to resume.
   */
  async #send(event: StoredEvent): Promise<void> {
    if (this.#ended) return;
    const data = await this.#spec.render(event);
    if (this.#ended) return;
    this.#res.write(frame(event, data));
    this.#sent = event.position;
    if (this.#res.writableLength <= this.#options.maxBufferedBytes) return;
    // One signal for the three waits, so the losers' listeners and the timer go with the winner.
    const abort = new AbortController();
    const drained = await Promise.race([
      once(this.#res, 'drain', { signal: abort.signal }).then(() => true),
      once(this.#res, 'close', { signal: abort.signal }).then(() => true), // gone: end() has run
      new Promise<false>((resolve) => {
        const timer = setTimeout(() => resolve(false), this.#options.drainTimeoutMs);
        abort.signal.addEventListener('abort', () => clearTimeout(timer));
      }),
    ]).finally(() => abort.abort());
    if (!drained) this.overflow();
  }

  /** Too slow: a retry hint naming the last event sent, then the stream ends (the client resumes from there). */
  overflow(): void {
    if (this.#ended) return;
    this.#res.write(
      `retry: ${this.#options.retryMs}\nevent: overflow\ndata: ${JSON.stringify({
        reason: 'client too slow: reconnect with Last-Event-ID to resume',
        lastEventId: String(this.#sent),
        retryMs: this.#options.retryMs,
      })}\n\n`,
    );
    this.#overflowed = true;
    this.end();
  }

  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#live.length = 0;
    clearInterval(this.#heartbeat);
    this.#res.end();
    this.#onEnd(this, this.#overflowed);
  }
}
