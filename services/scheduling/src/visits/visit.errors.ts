import { DomainError } from '@buergerkoffer/shared/event-sourcing';

export class VisitNotFound extends DomainError {
  readonly code = 'visit-not-found';
  readonly kind = 'not-found' as const;
}
/** The visit's status does not allow the action (`visitTransitions`). */
export class VisitActionNotAllowed extends DomainError {
  readonly code = 'visit-action-not-allowed';
  readonly kind = 'illegal-state' as const;
}
/** A reschedule is being booked: one at a time. */
export class RescheduleInProgress extends DomainError {
  readonly code = 'reschedule-in-progress';
  readonly kind = 'illegal-state' as const;
}
export class NotAParticipant extends DomainError {
  readonly code = 'not-a-participant';
  readonly kind = 'validation' as const;
}
/** A visit's plan that cannot work: two different staff, a window long enough, one day. */
export class InvalidVisitPlan extends DomainError {
  readonly code = 'invalid-visit-plan';
  readonly kind = 'validation' as const;
}
/** A case that is not (or no longer) to be planned: not approved yet, withdrawn, rejected, or on another visit. */
export class CaseNotPlannable extends DomainError {
  readonly code = 'case-not-plannable';
  readonly kind = 'illegal-state' as const;
}
/** The kit is withdrawn, or a device the services need is faulty or missing. */
export class KitUnavailable extends DomainError {
  readonly code = 'kit-unavailable';
  readonly kind = 'illegal-state' as const;
}
/** A member of staff is inactive, absent that day, or not working at that time. */
export class StaffUnavailable extends DomainError {
  readonly code = 'staff-unavailable';
  readonly kind = 'illegal-state' as const;
}
/** A weekend, public holiday or closed date of the tenant. */
export class NotAWorkingDay extends DomainError {
  readonly code = 'not-a-working-day';
  readonly kind = 'illegal-state' as const;
}
/** The window cannot hold set-up, the participants' services and pack-away. */
export class WindowTooShort extends DomainError {
  readonly code = 'window-too-short';
  readonly kind = 'validation' as const;
}
