/**
 * Whether a visit can be planned at all, before anything is held: the cases are to be planned, the day is a working
 * day, the window holds set-up, every participant's services and pack-away within one day, the kit is in service
 * with every device the services need working, and both staff are active, present and working then. The holds
 * themselves (no other visit at that time) are the calendars' to decide.
 */
import { type EventStore, loadStream, type Sql } from '@buergerkoffer/shared/event-sourcing';
import { notFound } from '@buergerkoffer/shared/http';
import { type DemandEntry, loadDemand } from '../proposals/planning-data.ts';
import { devicesFor, visitMinutes } from '../proposals/proposal-search.ts';
import { deviceStatusOf, kitDecider, toKitStreamName } from '../resources/kit.decider.ts';
import { kitCodec } from '../resources/kit.events.ts';
import { listStaff } from '../resources/resource.projections.ts';
import type { SchedulingSettings } from '../resources/settings.events.ts';
import { type HolidayCalendar, isWorkingDay } from '../resources/working-calendar.ts';
import { localDateOf, localTimeOf, minutesOf, weekdayOf } from '../time/local-time.ts';
import {
  CaseNotPlannable,
  InvalidVisitPlan,
  KitUnavailable,
  NotAWorkingDay,
  StaffUnavailable,
  WindowTooShort,
} from './visit.errors.ts';

export interface PlanRequest {
  readonly kitId: string;
  readonly staffIds: readonly [string, string];
  readonly start: string;
  readonly end: string;
}

export interface CheckedPlan {
  readonly date: string;
  readonly start: string;
  readonly end: string;
  readonly requiredDevices: readonly string[];
}

/** The cases' demand, each to be planned (or planned on `visitId` already: a retry of the same booking). */
export async function plannableDemand(
  sql: Sql,
  tenantId: string,
  caseIds: readonly string[],
  visitId?: string,
): Promise<DemandEntry[]> {
  const demand = await loadDemand(sql, tenantId, { caseIds });
  for (const caseId of caseIds) {
    const entry = demand.find((d) => d.caseId === caseId);
    if (!entry) throw new CaseNotPlannable(`case ${caseId} has no approved demand to plan`);
    const ours = visitId !== undefined && entry.visitId === visitId;
    if (entry.status !== 'to-plan' && !ours)
      throw new CaseNotPlannable(
        `case ${caseId} is ${entry.status}${entry.visitId ? ` (visit ${entry.visitId})` : ''}`,
      );
  }
  return caseIds.flatMap((caseId) => demand.filter((d) => d.caseId === caseId));
}

export async function checkPlan(
  deps: { readonly store: EventStore; readonly sql: Sql; readonly holidays: HolidayCalendar; readonly now: () => Date },
  tenantId: string,
  settings: SchedulingSettings,
  plan: PlanRequest,
  participants: readonly { readonly caseId: string; readonly services: readonly string[] }[],
): Promise<CheckedPlan> {
  const zone = settings.timeZone;
  const start = new Date(plan.start);
  const end = new Date(plan.end);
  if (end <= start) throw new InvalidVisitPlan('a visit ends after it starts');
  if (plan.staffIds[0] === plan.staffIds[1]) throw new InvalidVisitPlan('a visit needs two different staff members');
  if (start.getTime() < deps.now().getTime()) throw new InvalidVisitPlan('a visit is planned ahead, not in the past');
  const date = localDateOf(start, zone);
  if (localDateOf(end, zone) !== date) throw new InvalidVisitPlan('a visit starts and ends on the same day');
  if (!isWorkingDay(settings, date, deps.holidays)) throw new NotAWorkingDay(`${date} is not a working day`);
  const minutes = visitMinutes(settings, participants);
  if (end.getTime() - start.getTime() < minutes * 60_000)
    throw new WindowTooShort(`the visit needs ${minutes} minutes: set-up, the services and pack-away`);
  const requiredDevices = devicesFor(participants.flatMap((p) => p.services));

  // The kit from its stream (a device reported faulty a moment ago counts), the staff from their read model.
  const [kit, staff] = await Promise.all([
    loadStream(deps.store, kitDecider, kitCodec.decode, toKitStreamName(plan.kitId)),
    listStaff(deps.sql, tenantId),
  ]);
  if (kit.state.status === 'none' || kit.tenantId !== tenantId) throw notFound(`no kit ${plan.kitId}`);
  if (kit.state.status !== 'in-service') throw new KitUnavailable(`kit ${plan.kitId} is ${kit.state.status}`);
  const { state } = kit;
  const missing = requiredDevices.filter((device) => deviceStatusOf(state, device) !== 'ok');
  if (missing.length > 0)
    throw new KitUnavailable(`kit ${plan.kitId} lacks working devices the services need: ${missing.join(', ')}`);

  const from = minutesOf(localTimeOf(start, zone));
  const to = minutesOf(localTimeOf(end, zone));
  const weekday = weekdayOf(date);
  for (const staffId of plan.staffIds) {
    const member = staff.find((s) => s.staffId === staffId);
    if (!member) throw notFound(`no member of staff ${staffId}`);
    if (!member.active) throw new StaffUnavailable(`staff ${staffId} is no longer active`);
    if (member.absences.some((a) => a.from <= date && date <= a.to))
      throw new StaffUnavailable(`staff ${staffId} is absent on ${date}`);
    const hours = member.workingHours[weekday] ?? [];
    if (!hours.some((i) => minutesOf(i.from) <= from && to <= minutesOf(i.to)))
      throw new StaffUnavailable(`staff ${staffId} does not work then on ${date}`);
  }
  return { date, start: start.toISOString(), end: end.toISOString(), requiredDevices };
}
