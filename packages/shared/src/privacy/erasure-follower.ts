/**
 * Following erasures (`SubjectErased`, contracts/privacy.ts) as a processor, so that whatever a process derived
 * from a data subject forgets them: casefile destroys the subject's key for every recorded erasure (from its
 * checkpoint, so an erasure recorded just before a crash is still carried out after it), every service drops the
 * subject's key from its in-memory cache (from the head: a cache starts empty). A projection that keeps something
 * derived — intake's duplicate-lookup HMAC — reads the same events in its own transaction instead.
 */
import { PRIVACY_SUBJECT_CATEGORY, subjectErased } from '../contracts/privacy.ts';
import { type Processor, type ProcessorRegistry, startProcessor } from '../event-sourcing/processor.ts';
import type { CheckpointStore, EventStore } from '../event-sourcing/types.ts';

export interface Erasure {
  readonly tenantId: string;
  readonly subjectId: string;
  readonly caseId: string;
  readonly position: number;
}

export interface ErasureFollowerOptions {
  /** Unique per process: logs, metrics, readiness (and the checkpoint's name). */
  readonly name: string;
  /** Where it resumes: its checkpoint (erasures not yet carried out are), or the store's head at start. */
  readonly resume: { readonly checkpoints: CheckpointStore } | 'head';
  readonly registry?: ProcessorRegistry | undefined;
  readonly log?: { error(fields: object, message: string): void } | undefined;
}

export function followErasures(
  store: EventStore,
  options: ErasureFollowerOptions,
  forget: (erasure: Erasure) => Promise<void> | void,
): Processor {
  const { resume } = options;
  /** Where it got to (after a failure it resumes there, not at the head again). */
  let reached: number | undefined;
  return startProcessor(
    store,
    {
      name: options.name,
      filter: { streamCategories: [PRIVACY_SUBJECT_CATEGORY] },
      ...(options.registry ? { registry: options.registry } : {}),
      ...(options.log ? { log: options.log } : {}),
    },
    {
      resumeFrom: async () => {
        if (resume !== 'head') return (await resume.checkpoints.load(options.name)) ?? 0;
        reached ??= await store.headPosition();
        return reached;
      },
      handle: async (batch) => {
        for (const event of batch) {
          if (event.type !== 'SubjectErased') continue;
          const parsed = subjectErased.shape.data.safeParse(event.data);
          // A record that does not match its contract is not an erasure this code can carry out: it fails loudly
          // (the processor reports it and retries), rather than being skipped.
          if (!parsed.success)
            throw new Error(`SubjectErased at position ${event.position} does not match its contract`);
          await forget({
            tenantId: event.metadata.tenantId,
            subjectId: parsed.data.subjectId,
            caseId: parsed.data.caseId,
            position: event.position,
          });
        }
        const last = batch.at(-1);
        if (last && resume !== 'head') await resume.checkpoints.store(options.name, last.position);
        if (last) reached = last.position;
        return undefined;
      },
    },
  );
}
