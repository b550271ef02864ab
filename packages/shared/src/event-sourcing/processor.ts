/**
 * The processor: the one way anything follows the store — relays (store → bus), projections (store → read model),
 * the casefile feed hub (store → SSE clients), and any later store-side follower (process managers).
 *
 * A processor has a name, a filter, a resume position (its checkpoint, wherever the follower keeps it), and hands its
 * follower batches of events in global order. It never ends on an error: a failure — the store unreachable, the bus
 * down, a page the database refuses — is logged and counted, and the processor starts over from its resume position
 * after a pause that grows (with jitter) from `retryMs[0]` to `retryMs[1]`. While it keeps failing, its status says
 * since when, so readiness can turn not-ready and operators can see which one (metrics: lag, failures, failing time).
 *
 * Live events are gathered into batches: whatever the store's subscription delivered while the previous batch was
 * handled goes into the next one, up to `batchSize`; the subscription waits while a full batch is handled (so memory
 * stays bounded under a burst). A clean stop hands over what was delivered before it, so a follower that stores its
 * checkpoint resumes exactly there.
 */
import type { EventFilter, EventStore, StoredEvent, Subscription } from './types.ts';

export interface ProcessorLogger {
  error(fields: object, message: string): void;
  info?(fields: object, message: string): void;
}

/** What a follower does with the events; the processor does everything else. */
export interface ProcessorHandler {
  /** The position after which events are due: read at start and after every failure (its checkpoint). */
  resumeFrom(): Promise<number> | number;
  /**
   * One batch, in global order, every event after the resume position and after the previous batch. Resolves once
   * the batch is done (and its checkpoint stored, if the follower keeps one); `'restart'` when the follower's
   * checkpoint moved under it (e.g. a rebuild reset it) and it must resume again from `resumeFrom()`.
   */
  handle(batch: readonly StoredEvent[]): Promise<undefined | 'restart'> | undefined | 'restart';
  /** Told of every failure before the pause (e.g. the feed hub tells its clients to come back). */
  onFailure?(error: unknown): void;
}

export interface ProcessorOptions {
  /** Stable and unique per process (e.g. `relay:intake-case`, `intake:case-list`): logs, metrics, readiness. */
  readonly name: string;
  readonly filter?: EventFilter;
  /** Events per batch at most (catching up and live). Default 500. */
  readonly batchSize?: number;
  /** First and longest pause before starting over after a failure (ms). Default [500, 30_000]. */
  readonly retryMs?: readonly [number, number];
  readonly log?: ProcessorLogger;
  /** Told of every failure, with the number of failures in a row. */
  readonly onError?: (error: unknown, attempt: number) => void;
  /** Where the processor reports itself (readiness, metrics); it leaves the registry when stopped. */
  readonly registry?: ProcessorRegistry;
  readonly now?: () => Date;
}

export interface ProcessorStatus {
  readonly name: string;
  /** Position of the last event handled (or skipped by the filter). */
  readonly position: number;
  /** Failures since start. */
  readonly failures: number;
  /** Since when it has been failing without a success in between; undefined while healthy. */
  readonly failingSince: Date | undefined;
  /** The last failure's message (no event data: the messages are the store's, the bus's or the follower's). */
  readonly lastError: string | undefined;
}

/** Anything readiness and metrics watch: processors, and bus consumers that report the same way. */
export interface Watched {
  readonly name: string;
  status(): ProcessorStatus;
  /** Events stored after its position (a relay's lag: stored but not yet published). */
  lag?(): Promise<number>;
}

/** The processors (and other watched followers) of one process, for readiness and metrics. */
export class ProcessorRegistry {
  readonly #watched = new Set<Watched>();
  readonly #failureListeners = new Set<(name: string) => void>();

  /** Adds a watched follower; returns its removal. */
  add(watched: Watched): () => void {
    this.#watched.add(watched);
    return () => this.#watched.delete(watched);
  }

  list(): Watched[] {
    return [...this.#watched];
  }

  /** Those failing for longer than `graceMs` at `now`. */
  failing(graceMs: number, now: Date = new Date()): ProcessorStatus[] {
    return this.list()
      .map((w) => w.status())
      .filter((s) => s.failingSince !== undefined && now.getTime() - s.failingSince.getTime() >= graceMs);
  }

  /** Called on every failure of any watched follower (e.g. a failure counter). */
  onFailure(listener: (name: string) => void): () => void {
    this.#failureListeners.add(listener);
    return () => this.#failureListeners.delete(listener);
  }

  reportFailure(name: string): void {
    for (const listener of this.#failureListeners) listener(name);
  }
}

/** Never throws, whatever was thrown (an object without a prototype, a throwing toString). */
const errorMessage = (error: unknown): string => {
  let text: string;
  try {
    text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  } catch {
    text = Object.prototype.toString.call(error);
  }
  return text.length > 500 ? `${text.slice(0, 500)}…` : text;
};

/** The pause before the `attempt`-th retry: exponential, capped, with jitter (half fixed, half random). */
export function retryPause(attempt: number, [first, longest]: readonly [number, number]): number {
  const exponential = Math.min(longest, first * 2 ** Math.max(0, attempt - 1));
  return Math.round(exponential / 2 + Math.random() * (exponential / 2));
}

class RestartSignal extends Error {}

export class Processor implements Subscription, Watched {
  readonly name: string;
  readonly caughtUp: Promise<void>;
  readonly done: Promise<void>;
  readonly #store: EventStore;
  readonly #handler: ProcessorHandler;
  readonly #options: ProcessorOptions;
  readonly #batchSize: number;
  readonly #retryMs: readonly [number, number];
  readonly #now: () => Date;
  readonly #stopRequested: Promise<void>;
  readonly #leaveRegistry: () => void;
  #wakeStop: () => void = () => undefined;
  #markCaughtUp: () => void = () => undefined;
  #stopped = false;
  #position = 0;
  #failures = 0;
  #inARow = 0;
  #failingSince: Date | undefined;
  #lastError: string | undefined;
  /** The live subscription and whether events wait in the buffer: for the lag while idle. */
  #subscription: Subscription | undefined;
  #pending = 0;

  constructor(store: EventStore, options: ProcessorOptions, handler: ProcessorHandler) {
    this.name = options.name;
    this.#store = store;
    this.#handler = handler;
    this.#options = options;
    this.#batchSize = Math.max(1, options.batchSize ?? 500);
    this.#retryMs = options.retryMs ?? [500, 30_000];
    this.#now = options.now ?? (() => new Date());
    this.caughtUp = new Promise<void>((resolve) => {
      this.#markCaughtUp = resolve;
    });
    this.#stopRequested = new Promise<void>((resolve) => {
      this.#wakeStop = resolve;
    });
    this.#leaveRegistry = options.registry?.add(this) ?? (() => undefined);
    this.done = this.#run().finally(() => {
      this.#markCaughtUp();
      this.#leaveRegistry();
    });
    this.done.catch(() => undefined); // #run never rejects; belt and braces against an unhandled rejection
  }

  /** Position of the last event handled; while idle, of the last event the filter let through or skipped. */
  get position(): number {
    const idle = this.#pending === 0 && this.#subscription !== undefined && this.#failingSince === undefined;
    return idle ? Math.max(this.#position, this.#subscription?.position ?? 0) : this.#position;
  }

  get healthy(): boolean {
    return this.#failingSince === undefined && !this.#stopped;
  }

  status(): ProcessorStatus {
    return {
      name: this.name,
      position: this.position,
      failures: this.#failures,
      failingSince: this.#failingSince,
      lastError: this.#lastError,
    };
  }

  async lag(): Promise<number> {
    return Math.max(0, (await this.#store.headPosition()) - this.position);
  }

  #succeeded(): void {
    if (this.#failingSince !== undefined) {
      this.#options.log?.info?.(
        { processor: this.name, failedFor: this.#now().getTime() - this.#failingSince.getTime() },
        'processor recovered',
      );
    }
    this.#failingSince = undefined;
    this.#inARow = 0;
  }

  /** Logs and counts a failure; a logger or counter that throws must not end the processor. */
  #report(error: unknown, message: string): void {
    try {
      this.#options.log?.error(
        {
          err: error,
          processor: this.name,
          attempt: this.#inARow,
          failingSince: this.#failingSince?.toISOString(),
        },
        message,
      );
      this.#options.registry?.reportFailure(this.name);
    } catch {
      // reporting is best effort; following the store is not
    }
  }

  async #run(): Promise<void> {
    while (!this.#stopped) {
      try {
        if ((await this.#follow()) === 'stopped') return;
        // 'restart': the follower's checkpoint moved; resume from it at once.
      } catch (error) {
        this.#failures++;
        this.#lastError = errorMessage(error);
        if (this.#stopped) {
          // What failed while stopping was not checkpointed: the next start hands it over again. Said, not swallowed.
          this.#report(error, 'processor failed while stopping; the next start resumes from its checkpoint');
          return;
        }
        this.#inARow++;
        this.#failingSince ??= this.#now();
        this.#report(error, 'processor failed; starting over from its checkpoint');
        try {
          this.#handler.onFailure?.(error);
          this.#options.onError?.(error, this.#inARow);
        } catch {
          // a listener's own failure must not end the processor
        }
        const pause = retryPause(this.#inARow, this.#retryMs);
        await Promise.race([this.#stopRequested, new Promise((resolve) => setTimeout(resolve, pause).unref())]);
      }
    }
  }

  /** Follows the store from the resume position until stopped, a restart is asked for, or a failure (thrown). */
  async #follow(): Promise<'stopped' | 'restart'> {
    const from = await this.#handler.resumeFrom();
    this.#position = from;
    const buffer: StoredEvent[] = [];
    let chain: Promise<void> = Promise.resolve();
    // `failed` and `failure` apart: a follower may throw `undefined`, and that is a failure all the same.
    let failed = false;
    let failure: unknown;
    let restart = false;
    let scheduled = false;
    let interrupt: () => void = () => undefined;
    const interrupted = new Promise<void>((resolve) => {
      interrupt = resolve;
    });
    const flush = async () => {
      const batch = buffer.splice(0);
      const last = batch.at(-1);
      if (!last || restart || failed) return;
      const outcome = await this.#handler.handle(batch);
      if (outcome === 'restart') {
        restart = true;
        interrupt();
        return;
      }
      this.#pending -= batch.length;
      this.#position = Math.max(this.#position, last.position);
      this.#succeeded();
    };
    const schedule = () => {
      chain = chain.then(flush).catch((error: unknown) => {
        if (!failed) failure = error ?? new Error('the follower failed without an error');
        failed = true;
        interrupt();
      });
      return chain;
    };
    this.#pending = 0;
    const subscription = this.#store.subscribe(
      { from, ...(this.#options.filter ? { filter: this.#options.filter } : {}), batchSize: this.#batchSize },
      async (event) => {
        if (failed) throw failure;
        if (restart) throw new RestartSignal();
        buffer.push(event);
        this.#pending++;
        if (buffer.length >= this.#batchSize) {
          await schedule();
          if (failed) throw failure;
        } else if (!scheduled) {
          // Handled once the subscription pauses (reading its next page, or waiting for new events).
          scheduled = true;
          setImmediate(() => {
            scheduled = false;
            void schedule();
          });
        }
      },
    );
    this.#subscription = subscription;
    let subscriptionEnded = false;
    const ended = () => {
      subscriptionEnded = true;
    };
    subscription.done.then(ended, ended);
    void subscription.caughtUp.then(async () => {
      await schedule();
      // caughtUp also settles when the subscription failed during its catch-up: that is no success.
      if (failed || restart || this.#stopped || subscriptionEnded) return;
      // Everything up to the head it saw is handled: healthy (an idle processor's store answered).
      this.#succeeded();
      this.#markCaughtUp();
    });
    try {
      await Promise.race([this.#stopRequested, interrupted, subscription.done.catch(() => undefined)]);
      await subscription.stop();
      await schedule(); // what was delivered before the stop is handled: a clean stop resumes exactly there
    } finally {
      this.#subscription = undefined;
    }
    if (failed) throw failure;
    if (restart) return 'restart';
    const outcome = await subscription.done.then(
      () => undefined,
      (error: unknown) => error ?? new Error('subscription failed'),
    );
    if (outcome !== undefined && !(outcome instanceof RestartSignal)) throw outcome;
    return this.#stopped ? 'stopped' : 'restart';
  }

  /** Stops following: a batch being handled finishes, what was delivered is handed over, then it ends. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#wakeStop();
    await this.done;
  }
}

/** Starts a processor on `store`; it runs until stopped (see the module comment). */
export function startProcessor(store: EventStore, options: ProcessorOptions, handler: ProcessorHandler): Processor {
  return new Processor(store, options, handler);
}
