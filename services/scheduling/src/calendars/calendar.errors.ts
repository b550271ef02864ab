import { DomainError } from '@buergerkoffer/shared/event-sourcing';
import type { ResourceRef } from './calendar.events.ts';

/** The resource is held by another visit at an overlapping time (travel buffers included). */
export class SlotTaken extends DomainError {
  readonly code = 'slot-taken';
  readonly kind = 'illegal-state' as const;
  readonly resource: ResourceRef;
  constructor(resource: ResourceRef, detail: string) {
    super(detail);
    this.resource = resource;
  }
}

/** A hold that was released is never taken again: a late retry of a refused booking holds nothing. */
export class HoldReleased extends DomainError {
  readonly code = 'hold-released';
  readonly kind = 'illegal-state' as const;
}
