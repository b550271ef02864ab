import { DomainError } from '@buergerkoffer/shared/event-sourcing';

export class InstitutionNotFound extends DomainError {
  readonly code = 'institution-not-found';
  readonly kind = 'not-found' as const;
}

export class InstitutionAlreadyRegistered extends DomainError {
  readonly code = 'institution-already-registered';
  readonly kind = 'illegal-state' as const;
}
