/**
 * A catch-up subscription over a store whose positions become visible in order: read everything up to the head
 * observed, hand each event to the handler in order, then wait for a wake-up (a notification, or the bounded
 * fallback poll) and repeat. A wake-up is armed before the head is read, so a notification arriving while the
 * subscription works is never lost.
 */
import type { EventHandler, StoredEvent, SubscribeOptions, Subscription } from './types.ts';

type Listen = (onNotify: (payload: string) => void, onError: (error: Error) => void) => Promise<() => Promise<void>>;

/** Wakes waiting subscriptions on a store notification; one LISTEN per store, started with the first waiter. */
export class Notifier {
  readonly #listen: Listen;
  readonly #fallbackMs: number;
  readonly #waiters = new Set<() => void>();
  #unlisten: Promise<(() => Promise<void>) | undefined> | undefined;
  #closed = false;

  constructor(listen: Listen, fallbackMs: number) {
    this.#listen = listen;
    this.#fallbackMs = fallbackMs;
  }

  get fallbackMs(): number {
    return this.#fallbackMs;
  }

  #ensureListening(): void {
    if (this.#unlisten || this.#closed) return;
    this.#unlisten = this.#listen(
      () => this.wakeAll(),
      () => {
        // The listening connection failed: wake everyone (they re-read), listen again on the next arm.
        const failed = this.#unlisten;
        this.#unlisten = undefined;
        void failed?.then((stop) => stop?.()).catch(() => undefined);
        this.wakeAll();
      },
    ).catch(() => {
      // LISTEN unavailable for now: the fallback poll carries delivery; try again on the next arm.
      this.#unlisten = undefined;
      return undefined;
    });
  }

  wakeAll(): void {
    const waiters = [...this.#waiters];
    this.#waiters.clear();
    for (const wake of waiters) wake();
  }

  /** A wake-up armed now: resolves on the next notification, on `cancel`, or after the fallback interval. */
  arm(): { wait: Promise<void>; cancel: () => void } {
    this.#ensureListening();
    let wake: () => void = () => undefined;
    const wait = new Promise<void>((resolve) => {
      const timer = setTimeout(() => done(), this.#fallbackMs);
      const done = () => {
        clearTimeout(timer);
        this.#waiters.delete(done);
        resolve();
      };
      wake = done;
      this.#waiters.add(done);
    });
    return { wait, cancel: wake };
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.wakeAll();
    const stop = await this.#unlisten;
    await stop?.();
  }
}

export interface SubscriptionSource {
  head(): Promise<number>;
  read(afterPosition: number, upTo: number, limit: number): Promise<StoredEvent[]>;
  readonly notifier: Notifier;
}

export class PollingSubscription implements Subscription {
  readonly caughtUp: Promise<void>;
  readonly done: Promise<void>;
  #position = 0;
  #stopped = false;
  #cancelWait: () => void = () => undefined;
  #markCaughtUp: () => void = () => undefined;

  constructor(source: SubscriptionSource, options: SubscribeOptions, handler: EventHandler) {
    this.caughtUp = new Promise<void>((resolve) => {
      this.#markCaughtUp = resolve;
    });
    this.done = this.#run(source, options, handler);
    // A failure surfaces through `done`; `caughtUp` must not hang or reject unobserved.
    this.done.catch(() => this.#markCaughtUp());
  }

  get position(): number {
    return this.#position;
  }

  async #run(source: SubscriptionSource, options: SubscribeOptions, handler: EventHandler): Promise<void> {
    const batchSize = options.batchSize ?? 500;
    const from = options.from ?? 'start';
    try {
      this.#position = from === 'start' ? 0 : from === 'end' ? await source.head() : from;
      while (!this.#stopped) {
        const wake = source.notifier.arm();
        this.#cancelWait = wake.cancel;
        try {
          const head = await source.head();
          while (this.#position < head && !this.#stopped) {
            const batch = await source.read(this.#position, head, batchSize);
            for (const event of batch) {
              if (this.#stopped) return;
              await handler(event);
              this.#position = event.position;
            }
            // Everything up to the observed head is visible and was read: skip what the filter left out.
            if (batch.length < batchSize && !this.#stopped) this.#position = head;
          }
          this.#markCaughtUp();
          if (this.#stopped) return;
          await wake.wait;
        } finally {
          wake.cancel(); // no timer or waiter outlives this round, whatever ended it
        }
      }
    } finally {
      this.#markCaughtUp(); // a subscription stopped or failed during catch-up must not leave `caughtUp` pending
    }
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#cancelWait();
    await this.done.catch(() => undefined);
  }
}
