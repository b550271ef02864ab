/**
 * The services the mobile office offers on site: the published catalogue (shared/contracts/catalogue.ts), which
 * scheduling plans from as well. Reference data: deciders receive it, they never import I/O.
 */
export {
  CATALOGUE,
  type CatalogueEntry,
  isServiceId,
  type KitDevice,
  SERVICE_IDS,
  type ServiceId,
} from '@buergerkoffer/shared/contracts';
