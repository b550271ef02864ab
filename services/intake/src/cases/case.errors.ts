import { DomainError } from '@buergerkoffer/shared/event-sourcing';

export class CaseNotFound extends DomainError {
  readonly code = 'case-not-found';
  readonly kind = 'not-found' as const;
}

export class CaseAlreadyOpened extends DomainError {
  readonly code = 'case-already-opened';
  readonly kind = 'illegal-state' as const;
}

export class CaseWithdrawnError extends DomainError {
  readonly code = 'case-withdrawn';
  readonly kind = 'illegal-state' as const;
}

/** A change that would leave the case without any service, or names services it does not have. */
export class InvalidServiceChange extends DomainError {
  readonly code = 'invalid-service-change';
  readonly kind = 'validation' as const;
}

/** The same service requested twice in one request. */
export class DuplicateServices extends DomainError {
  readonly code = 'duplicate-services';
  readonly kind = 'validation' as const;
}
