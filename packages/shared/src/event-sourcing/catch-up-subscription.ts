/**
 * A catch-up subscription over a store whose positions become visible in order: read everything up to the head
 * observed, hand each event to the handler in order, then wait for a wake-up (a notification, or the bounded
 * fallback poll) and repeat. A wake-up is armed before the head is read, so a notification arriving while the
 * subscription works is never lost.
 *
 * A notification carries the position it announces, so a subscription woken by one takes the head from it instead
 * of asking the store; after the fallback poll, a lost listening connection, or on its first round, it asks.
 */
import type { EventHandler, StoredEvent, SubscribeOptions, Subscription } from './types.ts';

type Listen = (onNotify: (payload: string) => void, onError: (error: Error) => void) => Promise<() => Promise<void>>;

/** Why a wait ended: a notification (the head it announced is known), or anything else (ask the store). */
export type WakeReason = 'notified' | 'other';

/** Wakes waiting subscriptions on a store notification; one LISTEN per store, started with the first waiter. */
export class Notifier {
  readonly #listen: Listen;
  readonly #fallbackMs: number;
  readonly #waiters = new Set<(reason: WakeReason) => void>();
  #notifiedHead = 0;
  #unlisten: Promise<(() => Promise<void>) | undefined> | undefined;
  #closed = false;

  constructor(listen: Listen, fallbackMs: number) {
    this.#listen = listen;
    this.#fallbackMs = fallbackMs;
  }

  get fallbackMs(): number {
    return this.#fallbackMs;
  }

  /** The highest position any notification announced (0 before the first). */
  get notifiedHead(): number {
    return this.#notifiedHead;
  }

  #ensureListening(): void {
    if (this.#unlisten || this.#closed) return;
    this.#unlisten = this.#listen(
      (payload) => {
        const position = Number(payload);
        if (Number.isSafeInteger(position) && position > 0) {
          this.#notifiedHead = Math.max(this.#notifiedHead, position);
          this.wakeAll('notified');
        } else {
          this.wakeAll(); // a notification without a position: everyone asks the store
        }
      },
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

  wakeAll(reason: WakeReason = 'other'): void {
    const waiters = [...this.#waiters];
    this.#waiters.clear();
    for (const wake of waiters) wake(reason);
  }

  /** A wake-up armed now: resolves on the next notification, on `cancel`, or after the fallback interval. */
  arm(): { wait: Promise<WakeReason>; cancel: () => void } {
    this.#ensureListening();
    let wake: () => void = () => undefined;
    const wait = new Promise<WakeReason>((resolve) => {
      const timer = setTimeout(() => done('other'), this.#fallbackMs);
      const done = (reason: WakeReason) => {
        clearTimeout(timer);
        this.#waiters.delete(done);
        resolve(reason);
      };
      wake = () => done('other');
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

/** A page of a subscription's events: every matching event after the position asked for up to `through`. */
export interface SubscriptionPage {
  readonly events: readonly StoredEvent[];
  /** The page is complete up to here (≤ the bound asked for): the subscription's next read starts after it. */
  readonly through: number;
}

export interface SubscriptionSource {
  head(): Promise<number>;
  /** Matching events after `afterPosition`, up to `upTo` (inclusive), at most `limit` of them. */
  read(afterPosition: number, upTo: number, limit: number): Promise<SubscriptionPage>;
  readonly notifier: Notifier;
}

/** A page read straight from the store: complete up to the bound when it is not full, else up to its last event. */
export const pageOf = (events: readonly StoredEvent[], upTo: number, limit: number): SubscriptionPage => ({
  events,
  through: events.length < limit ? upTo : (events.at(-1)?.position ?? upTo),
});

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
      let notified = false;
      while (!this.#stopped) {
        const wake = source.notifier.arm();
        this.#cancelWait = wake.cancel;
        try {
          // Woken by a notification: every position up to the highest announced is committed, hence visible.
          const head = notified ? source.notifier.notifiedHead : await source.head();
          while (this.#position < head && !this.#stopped) {
            const page = await source.read(this.#position, head, batchSize);
            for (const event of page.events) {
              if (this.#stopped) return;
              await handler(event);
              this.#position = event.position;
            }
            // Everything up to where the page is complete was read: skip what the filter left out.
            if (!this.#stopped) this.#position = Math.max(this.#position, page.through);
          }
          this.#markCaughtUp();
          if (this.#stopped) return;
          notified = (await wake.wait) === 'notified';
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
