/**
 * What a proposal is searched in, loaded in a handful of statements: the tenant's settings and holidays, kits and
 * staff (read models), every hold of the days searched, and the demand of the cases to plan. Nothing personal.
 */
import type { EventStore, Sql } from '@buergerkoffer/shared/event-sourcing';
import { type DemandState, demandStatus } from '../demand/demand.decider.ts';
import { listKits, listStaff } from '../resources/resource.projections.ts';
import type { SchedulingSettings } from '../resources/settings.events.ts';
import { loadSettings } from '../resources/settings.store.ts';
import { type HolidayCalendar, isWorkingDay } from '../resources/working-calendar.ts';
import { addDays, type LocalDate } from '../time/local-time.ts';
import type { SearchHold, SearchInput } from './proposal-search.ts';

export interface PlanningDeps {
  readonly store: EventStore;
  readonly sql: Sql;
  readonly holidays: HolidayCalendar;
}

export interface Resources extends Pick<SearchInput, 'kits' | 'staff' | 'holds' | 'isWorkingDay'> {
  readonly settings: SchedulingSettings;
}

export async function loadResources(
  deps: PlanningDeps,
  tenantId: string,
  from: LocalDate,
  days?: number,
): Promise<Resources> {
  const { settings } = await loadSettings(deps.store, tenantId);
  const to = addDays(from, days ?? settings.horizonDays);
  const [kits, staff, holds] = await Promise.all([
    listKits(deps.sql, tenantId),
    listStaff(deps.sql, tenantId),
    // One JSON value rather than a row per hold: a month of holds is hundreds of rows, which an embedded engine
    // turns into objects one by one (three times slower, docs/benchmarks.md).
    deps.sql.query<{ holds: SearchHold[] }>(
      `select coalesce(json_agg(json_build_object(
                'kind', resource_kind, 'resourceId', resource_id, 'visitId', visit_id,
                'date', to_char(date, 'YYYY-MM-DD'),
                'start', (extract(epoch from starts_at) * 1000)::bigint, 'end', (extract(epoch from ends_at) * 1000)::bigint,
                'bufferMinutes', buffer_minutes)), '[]') as holds
         from scheduling_holds where tenant_id = $1 and date between $2 and $3`,
      [tenantId, from, to],
    ),
  ]);
  return {
    settings,
    isWorkingDay: (date) => isWorkingDay(settings, date, deps.holidays),
    kits,
    staff: staff.map((s) => ({ ...s, workingHours: s.workingHours })),
    holds: (holds[0]?.holds ?? []).map((h) => ({ ...h, start: Number(h.start), end: Number(h.end) })),
  };
}

export interface DemandEntry {
  readonly caseId: string;
  readonly status: string;
  readonly services: readonly string[];
  readonly subjectId: string | undefined;
  readonly groupRequestId: string | undefined;
  readonly institutionId: string | undefined;
  readonly visitId: string | null;
}

/** The demand of the cases (by id), or of a group request's cases, in the order they entered their status. */
export async function loadDemand(
  sql: Sql,
  tenantId: string,
  which: { readonly caseIds: readonly string[] } | { readonly groupRequestId: string },
): Promise<DemandEntry[]> {
  const rows =
    'caseIds' in which
      ? await sql.query<{ case_id: string; state: DemandState }>(
          'select case_id, state from scheduling_demand where tenant_id = $1 and case_id = any($2::text[]) order by since, case_id',
          [tenantId, [...which.caseIds]],
        )
      : await sql.query<{ case_id: string; state: DemandState }>(
          'select case_id, state from scheduling_demand where tenant_id = $1 and group_request_id = $2 order by since, case_id',
          [tenantId, which.groupRequestId],
        );
  return rows.map(({ case_id, state }) => ({
    caseId: case_id,
    status: demandStatus(state),
    services: state.requestedServices ?? [],
    subjectId: state.applicantSubjectId,
    groupRequestId: state.groupRequestId,
    institutionId: state.institutionId,
    visitId: state.visitId,
  }));
}
