/**
 * The services of the system, each from its own definition (runtime/service-definition.ts): the embedded app mounts
 * them, `pnpm casefile rebuild` rebuilds their read models — both through the definitions, so a rebuild writes what
 * the running system writes. Adding a service is adding its definition here.
 */
import * as casefile from '@buergerkoffer/casefile/service';
import * as eligibility from '@buergerkoffer/eligibility/service';
import * as fieldkit from '@buergerkoffer/fieldkit/service';
import * as intake from '@buergerkoffer/intake/service';
import * as scheduling from '@buergerkoffer/scheduling/service';
import type { BoundProjection } from '@buergerkoffer/shared/event-sourcing';
import type { AnyServiceDefinition, SystemParts } from '@buergerkoffer/shared/runtime';

export const services: readonly AnyServiceDefinition[] = [
  intake.definition,
  eligibility.definition,
  scheduling.definition,
  fieldkit.definition,
  casefile.definition,
];

/** Every projection of every service, in the order they are rebuilt. */
export function allProjections(parts: SystemParts): BoundProjection[] {
  return services.flatMap((definition) => definition.projections?.(parts) ?? []);
}
