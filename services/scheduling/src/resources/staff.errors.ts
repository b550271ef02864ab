import { DomainError } from '@buergerkoffer/shared/event-sourcing';

export class StaffMemberNotFound extends DomainError {
  readonly code = 'staff-member-not-found';
  readonly kind = 'not-found' as const;
}
export class StaffMemberAlreadyRegistered extends DomainError {
  readonly code = 'staff-member-already-registered';
  readonly kind = 'illegal-state' as const;
}
/** A deactivated member of staff has left the mobile office: nothing more is recorded about them. */
export class StaffMemberInactive extends DomainError {
  readonly code = 'staff-member-inactive';
  readonly kind = 'illegal-state' as const;
}
/** Intervals that end before they start, overlap, or are out of order (working-hours.ts). */
export class InvalidWorkingHours extends DomainError {
  readonly code = 'invalid-working-hours';
  readonly kind = 'validation' as const;
}
/** An absence that ends before it starts. */
export class InvalidAbsence extends DomainError {
  readonly code = 'invalid-absence';
  readonly kind = 'validation' as const;
}
/** An absence id recorded before with other dates, or one cancelled already. */
export class AbsenceIdTaken extends DomainError {
  readonly code = 'absence-id-taken';
  readonly kind = 'illegal-state' as const;
}
export class AbsenceNotFound extends DomainError {
  readonly code = 'absence-not-found';
  readonly kind = 'not-found' as const;
}
