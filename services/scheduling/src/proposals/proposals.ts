/**
 * Proposals for a case or a group request: its demand (to be planned), the resources and holds of the days searched,
 * and the search (proposal-search.ts), preferred dates first. For a visit being rescheduled its own holds are free.
 */
import { type LocalDate, localDateOf, localTimeOf } from '../time/local-time.ts';
import { type DemandEntry, loadDemand, loadResources, type PlanningDeps } from './planning-data.ts';
import { searchSlots } from './proposal-search.ts';

export interface ProposalOptions {
  readonly from?: LocalDate | undefined;
  readonly preferredDates?: readonly LocalDate[] | undefined;
  readonly limit?: number | undefined;
  readonly ignoreVisitId?: string | undefined;
  /** Plan cases whatever their demand's status (a reschedule of planned cases). */
  readonly anyStatus?: boolean;
}

export async function proposalsFor(
  deps: PlanningDeps & { readonly now: () => Date },
  tenantId: string,
  which: { readonly caseIds: readonly string[] } | { readonly groupRequestId: string },
  options: ProposalOptions = {},
) {
  const demand = await loadDemand(deps.sql, tenantId, which);
  const plannable = (entry: DemandEntry) =>
    entry.status === 'to-plan' ||
    (entry.visitId !== null && entry.visitId === options.ignoreVisitId) ||
    options.anyStatus === true;
  const participants = demand.filter(plannable).map((d) => ({ caseId: d.caseId, services: d.services }));
  const now = deps.now();
  const resources = await loadResources(deps, tenantId, options.from ?? localDateOf(now));
  const from = options.from ?? localDateOf(now, resources.settings.timeZone);
  const result = searchSlots({
    ...resources,
    settings: resources.settings,
    participants,
    from,
    preferredDates: options.preferredDates ?? [],
    notBefore: now.getTime(),
    limit: options.limit ?? 5,
    ignoreVisitId: options.ignoreVisitId,
  });
  const zone = resources.settings.timeZone;
  return {
    demand,
    minutes: result.minutes,
    requiredDevices: [...result.requiredDevices],
    proposals: result.proposals.map((p) => ({
      ...p,
      staffIds: [...p.staffIds],
      caseIds: [...p.caseIds],
      localStart: localTimeOf(p.start, zone),
      localEnd: localTimeOf(p.end, zone),
    })),
    remainingCaseIds: [...result.remaining],
  };
}
