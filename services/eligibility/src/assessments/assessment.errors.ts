import { DomainError } from '@buergerkoffer/shared/event-sourcing';

export class AssessmentNotFound extends DomainError {
  readonly code = 'assessment-not-found';
  readonly kind = 'not-found' as const;
}
export class AssessmentClosedError extends DomainError {
  readonly code = 'assessment-closed';
  readonly kind = 'illegal-state' as const;
}
export class AlreadyDecided extends DomainError {
  readonly code = 'already-decided';
  readonly kind = 'illegal-state' as const;
}
/** Approving against a not-eligible pre-check needs an explicit override reason. */
export class OverrideRequired extends DomainError {
  readonly code = 'override-required';
  readonly kind = 'validation' as const;
}
export class ReasonRequired extends DomainError {
  readonly code = 'reason-required';
  readonly kind = 'validation' as const;
}
