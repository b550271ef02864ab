import type { CheckpointStore, EventFilter, EventHandler, EventStore, Subscription } from './types.ts';

export interface CheckpointedOptions {
  /** Stable name of the subscriber; its checkpoint is stored under it. */
  readonly subscriberId: string;
  readonly filter?: EventFilter;
  readonly batchSize?: number;
}

/**
 * A subscription that resumes after the position its subscriber last stored, and stores the position after each
 * event its handler finished. A clean stop therefore resumes with no event lost and none repeated; a crash between
 * a handler's success and the checkpoint write repeats that one event, which handlers absorb by being idempotent.
 */
export async function subscribeFromCheckpoint(
  store: EventStore,
  checkpoints: CheckpointStore,
  options: CheckpointedOptions,
  handler: EventHandler,
): Promise<Subscription> {
  const from = (await checkpoints.load(options.subscriberId)) ?? 'start';
  return store.subscribe(
    {
      from,
      ...(options.filter ? { filter: options.filter } : {}),
      ...(options.batchSize ? { batchSize: options.batchSize } : {}),
    },
    async (event) => {
      await handler(event);
      await checkpoints.store(options.subscriberId, event.position);
    },
  );
}
