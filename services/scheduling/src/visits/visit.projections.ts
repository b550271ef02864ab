/**
 * Scheduling's read models of visits, all without personal data (read from the store as stored):
 * - `scheduling_visits`: one row per visit — status, kit, staff, time, participants' cases and services, the flag
 *   for rescheduling, the calendar sequence — for the queue, the day plans, the calendars and the flagging of visits
 *   whose kit broke;
 * - `scheduling_holds`: one row per resource hold — what every kit and person is held for, booking or planned — for
 *   the proposals (the calendars' own truth stays in their streams: a proposal is a suggestion, a booking the check).
 */
import {
  type BoundProjection,
  type EventStore,
  keyField,
  type Projection,
  type Sql,
} from '@buergerkoffer/shared/event-sourcing';
import { calendarCodec } from '../calendars/calendar.events.ts';
import { visitCodec } from './visit.events.ts';

const VISITS_SCHEMA = `
create table if not exists scheduling_visits (
  visit_id          text primary key,
  tenant_id         text not null,
  status            text not null,
  kit_id            text not null,
  staff_ids         jsonb not null,
  date              date not null,
  starts_at         timestamptz not null,
  ends_at           timestamptz not null,
  participants      jsonb not null,
  case_ids          jsonb not null,
  required_devices  jsonb not null,
  place_kind        text not null,
  institution_id    text,
  group_request_id  text,
  flag              jsonb,
  sequence          integer not null,
  revision          bigint not null
);
create index if not exists scheduling_visits_kit on scheduling_visits (tenant_id, kit_id, date);
create index if not exists scheduling_visits_day on scheduling_visits (tenant_id, date);`;

export interface VisitRow {
  readonly visit_id: string;
  readonly tenant_id: string;
  readonly status: string;
  readonly kit_id: string;
  readonly staff_ids: readonly string[];
  readonly date: string;
  readonly starts_at: string;
  readonly ends_at: string;
  readonly participants: readonly { caseId: string; services: readonly string[] }[];
  readonly case_ids: readonly string[];
  readonly required_devices: readonly string[];
  readonly place_kind: string;
  readonly institution_id: string | null;
  readonly group_request_id: string | null;
  readonly flag: { reason: string; kitId?: string; device?: string; staffId?: string; flaggedAt: string } | null;
  readonly sequence: number;
  readonly revision: number;
}

export function visitsProjection(deps: { store: EventStore; sql: Sql }): BoundProjection {
  const { decode } = visitCodec.sealed;
  const projection: Projection<VisitRow> = {
    name: 'scheduling:visits',
    schema: VISITS_SCHEMA,
    table: {
      name: 'scheduling_visits',
      key: 'visit_id',
      columns: [
        'visit_id',
        'tenant_id',
        'status',
        'kit_id',
        'staff_ids',
        'date',
        'starts_at',
        'ends_at',
        'participants',
        'case_ids',
        'required_devices',
        'place_kind',
        'institution_id',
        'group_request_id',
        'flag',
        'sequence',
        'revision',
      ],
    },
    filter: { streamCategories: ['visit'] },
    keyOf: (stored) => keyField(stored, 'visitId'),
    apply(row, stored) {
      const event = decode(stored);
      if (event === undefined) return row;
      if (event.type === 'VisitBookingStarted') {
        if (row) return row;
        const { data } = event;
        const participants = data.participants.map(({ caseId, services }) => ({ caseId, services }));
        return {
          visit_id: data.visitId,
          tenant_id: stored.metadata.tenantId,
          status: 'booking',
          kit_id: data.kitId,
          staff_ids: data.staffIds,
          date: data.date,
          starts_at: data.start,
          ends_at: data.end,
          participants,
          case_ids: participants.map((p) => p.caseId),
          required_devices: data.requiredDevices,
          place_kind: data.place.kind,
          institution_id: data.place.institutionId ?? null,
          group_request_id: data.groupRequestId ?? null,
          flag: null,
          sequence: 0,
          revision: stored.revision,
        };
      }
      if (!row || row.revision >= stored.revision) return row;
      const next = { ...row, revision: stored.revision };
      switch (event.type) {
        case 'VisitPlanned':
          return { ...next, status: 'planned' };
        case 'VisitBookingRefused':
          return { ...next, status: 'refused' };
        case 'VisitRescheduleStarted':
        case 'VisitRescheduleRefused':
          return next;
        case 'VisitRescheduled':
          return {
            ...next,
            status: 'planned',
            kit_id: event.data.kitId,
            staff_ids: event.data.staffIds,
            date: event.data.date,
            starts_at: event.data.start,
            ends_at: event.data.end,
            flag: null,
            sequence: row.sequence + 1,
          };
        case 'VisitConfirmed':
          return { ...next, status: 'confirmed', sequence: row.sequence + 1 };
        case 'VisitCancelled':
          return { ...next, status: 'cancelled', sequence: row.sequence + 1 };
        case 'ParticipantRemoved': {
          const participants = row.participants.filter((p) => p.caseId !== event.data.caseId);
          return {
            ...next,
            participants,
            case_ids: participants.map((p) => p.caseId),
            sequence: row.sequence + 1,
          };
        }
        case 'VisitFlaggedForRescheduling': {
          const { visitId: _visitId, ...flag } = event.data;
          return { ...next, flag };
        }
        default: {
          const _unhandled: never = event;
          return row;
        }
      }
    },
  };
  return { projection, store: deps.store, sql: deps.sql };
}

const HOLDS_SCHEMA = `
create table if not exists scheduling_holds (
  hold_key       text primary key,
  tenant_id      text not null,
  resource_kind  text not null,
  resource_id    text not null,
  date           date not null,
  visit_id       text not null,
  starts_at      timestamptz not null,
  ends_at        timestamptz not null,
  buffer_minutes integer not null
);
create index if not exists scheduling_holds_day on scheduling_holds (tenant_id, date);`;

export interface HoldRow {
  readonly hold_key: string;
  readonly tenant_id: string;
  readonly resource_kind: 'kit' | 'staff';
  readonly resource_id: string;
  readonly date: string;
  readonly visit_id: string;
  readonly starts_at: string;
  readonly ends_at: string;
  readonly buffer_minutes: number;
}

export function holdsProjection(deps: { store: EventStore; sql: Sql }): BoundProjection {
  const projection: Projection<HoldRow> = {
    name: 'scheduling:holds',
    schema: HOLDS_SCHEMA,
    table: {
      name: 'scheduling_holds',
      key: 'hold_key',
      columns: [
        'hold_key',
        'tenant_id',
        'resource_kind',
        'resource_id',
        'date',
        'visit_id',
        'starts_at',
        'ends_at',
        'buffer_minutes',
      ],
    },
    filter: { streamCategories: ['kitCalendar', 'staffCalendar'] },
    keyOf(stored) {
      const event = calendarCodec.decode(stored);
      return event ? `${event.data.resource.kind}:${event.data.resource.id}:${event.data.holdId}` : undefined;
    },
    apply(row, stored) {
      const event = calendarCodec.decode(stored);
      if (event === undefined) return row;
      if (event.type === 'ResourceReleased') return undefined;
      const { data } = event;
      return {
        hold_key: `${data.resource.kind}:${data.resource.id}:${data.holdId}`,
        tenant_id: stored.metadata.tenantId,
        resource_kind: data.resource.kind,
        resource_id: data.resource.id,
        date: data.date,
        visit_id: data.visitId,
        starts_at: data.start,
        ends_at: data.end,
        buffer_minutes: data.bufferMinutes,
      };
    },
  };
  return { projection, store: deps.store, sql: deps.sql };
}
