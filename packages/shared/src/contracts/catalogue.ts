/**
 * The ids of the services the mobile office offers on site (domain.md, "the catalogue"). Shared because they cross
 * services in integration events and rule sets; what each service means (devices, durations) stays with intake.
 */
export const SERVICE_IDS = [
  'id-card',
  'passport',
  'provisional-id',
  'eid-update',
  'registration',
  'conduct-certificate',
  'certified-copy',
  'registration-certificate',
  'life-certificate',
] as const;
export type ServiceId = (typeof SERVICE_IDS)[number];
