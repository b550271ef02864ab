import { DomainError } from '@buergerkoffer/shared/event-sourcing';

/** The case is on another visit already (or being booked on one): a case is never on two visits at once. */
export class CasePlannedElsewhere extends DomainError {
  readonly code = 'case-planned-elsewhere';
  readonly kind = 'illegal-state' as const;
  readonly visitId: string;
  constructor(caseId: string, visitId: string) {
    super(`case ${caseId} is on visit ${visitId}`);
    this.visitId = visitId;
  }
}
/** Not to be planned: not approved yet, withdrawn or rejected. */
export class DemandNotPlannable extends DomainError {
  readonly code = 'case-not-plannable';
  readonly kind = 'illegal-state' as const;
}
