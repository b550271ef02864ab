import { DomainError } from '@buergerkoffer/shared/event-sourcing';

export class KitNotFound extends DomainError {
  readonly code = 'kit-not-found';
  readonly kind = 'not-found' as const;
}
export class KitAlreadyRegistered extends DomainError {
  readonly code = 'kit-already-registered';
  readonly kind = 'illegal-state' as const;
}
/** A withdrawn kit is out of service for good: nothing more is recorded on it. */
export class KitWithdrawnError extends DomainError {
  readonly code = 'kit-withdrawn';
  readonly kind = 'illegal-state' as const;
}
/** A kit has at least one device, each once. */
export class InvalidKitDevices extends DomainError {
  readonly code = 'invalid-kit-devices';
  readonly kind = 'validation' as const;
}
/** A fault or a repair of a device the kit does not have. */
export class DeviceNotOnKit extends DomainError {
  readonly code = 'device-not-on-kit';
  readonly kind = 'validation' as const;
}
