/**
 * Fieldkit's read models, nothing personal in either: `fieldkit_visits` (each visit of a kit by its local day, its
 * manifest version and participants: what the manifest lists) and `fieldkit_conflicts` (records held for the office's
 * review, open or resolved: GET /conflicts).
 */
import {
  type BoundProjection,
  type EventStore,
  keyField,
  type Projection,
  type Sql,
} from '@buergerkoffer/shared/event-sourcing';
import { type FieldVisitState, fieldVisitDecider } from './field-visit.decider.ts';
import { FIELD_VISIT_CATEGORY, fieldVisitCodec } from './field-visit.events.ts';

/** The tenants' zone (domain.md): a visit's day is its local date there. */
export const TIME_ZONE = 'Europe/Berlin';
const dayFormat = new Intl.DateTimeFormat('en-CA', {
  timeZone: TIME_ZONE,
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
});
export const localDayOf = (instant: string): string => dayFormat.format(new Date(instant));

const VISITS_SCHEMA = `
create table if not exists fieldkit_visits (
  visit_id   text primary key,
  tenant_id  text not null,
  kit_id     text not null,
  day        text not null,
  start_at   timestamptz not null,
  status     text not null,
  version    integer not null,
  state      jsonb not null,
  revision   bigint not null
);
create index if not exists fieldkit_visits_kit_day on fieldkit_visits (tenant_id, kit_id, day);`;

export type FieldVisitRow = {
  readonly visit_id: string;
  readonly tenant_id: string;
  readonly kit_id: string;
  readonly day: string;
  readonly start_at: string;
  readonly status: string;
  readonly version: number;
  readonly state: FieldVisitState;
  readonly revision: number;
};

export function fieldVisitsProjection(deps: { store: EventStore; sql: Sql }): BoundProjection {
  const projection: Projection<FieldVisitRow> = {
    name: 'fieldkit:visits',
    schema: VISITS_SCHEMA,
    table: {
      name: 'fieldkit_visits',
      key: 'visit_id',
      columns: ['visit_id', 'tenant_id', 'kit_id', 'day', 'start_at', 'status', 'version', 'state', 'revision'],
    },
    filter: { streamCategories: [FIELD_VISIT_CATEGORY] },
    keyOf: (stored) => keyField(stored, 'visitId'),
    apply(row, stored) {
      const event = fieldVisitCodec.decode(stored);
      if (event === undefined) return row;
      if (row && row.revision >= stored.revision) return row;
      if (!row && event.type !== 'KitVisitAssigned') return row;
      const state = fieldVisitDecider.evolve(row?.state ?? fieldVisitDecider.initialState(), event);
      return {
        visit_id: state.visitId,
        tenant_id: stored.metadata.tenantId,
        kit_id: state.kitId,
        day: localDayOf(state.start),
        start_at: state.start,
        status: state.status,
        version: state.version,
        // What the manifest and the review read: the plan. The submissions and conflicts (which grow with every
        // record) are the stream's business, not the read model's.
        state: { ...state, submissions: {}, conflicts: {} },
        revision: stored.revision,
      };
    },
  };
  return { projection, store: deps.store, sql: deps.sql };
}

const CONFLICTS_SCHEMA = `
create table if not exists fieldkit_conflicts (
  conflict_id    text primary key,
  tenant_id      text not null,
  visit_id       text not null,
  kit_id         text not null,
  case_id        text,
  severity       text not null,
  fields         jsonb not null,
  status         text not null,
  record         jsonb not null,
  office_version integer not null,
  recorded_at    timestamptz not null,
  resolution     text,
  reason         text,
  resolved_by    jsonb,
  resolved_at    timestamptz
);
create index if not exists fieldkit_conflicts_open on fieldkit_conflicts (tenant_id, status, recorded_at);`;

export type ConflictRow = {
  readonly conflict_id: string;
  readonly tenant_id: string;
  readonly visit_id: string;
  readonly kit_id: string;
  readonly case_id: string | null;
  readonly severity: string;
  readonly fields: readonly string[];
  readonly status: string;
  readonly record: Record<string, unknown>;
  readonly office_version: number;
  readonly recorded_at: string;
  readonly resolution: string | null;
  readonly reason: string | null;
  readonly resolved_by: { id: string; role: string } | null;
  readonly resolved_at: string | null;
};

export function conflictsProjection(deps: { store: EventStore; sql: Sql }): BoundProjection {
  const projection: Projection<ConflictRow> = {
    name: 'fieldkit:conflicts',
    schema: CONFLICTS_SCHEMA,
    table: {
      name: 'fieldkit_conflicts',
      key: 'conflict_id',
      columns: [
        'conflict_id',
        'tenant_id',
        'visit_id',
        'kit_id',
        'case_id',
        'severity',
        'fields',
        'status',
        'record',
        'office_version',
        'recorded_at',
        'resolution',
        'reason',
        'resolved_by',
        'resolved_at',
      ],
    },
    filter: { streamCategories: [FIELD_VISIT_CATEGORY], eventTypePrefixes: ['SubmissionConflict'] },
    keyOf: (stored) => keyField(stored, 'conflictId'),
    apply(row, stored) {
      const event = fieldVisitCodec.decode(stored);
      if (event?.type === 'SubmissionConflictRecorded') {
        if (row) return row;
        const { data } = event;
        return {
          conflict_id: data.conflictId,
          tenant_id: stored.metadata.tenantId,
          visit_id: data.visitId,
          kit_id: data.kitId,
          case_id: data.caseId ?? null,
          severity: data.severity,
          fields: data.fields,
          status: 'open',
          record: data.record,
          office_version: data.officeVersion,
          recorded_at: data.recordedAt,
          resolution: null,
          reason: null,
          resolved_by: null,
          resolved_at: null,
        };
      }
      if (event?.type === 'SubmissionConflictResolved' && row) {
        return {
          ...row,
          status: 'resolved',
          resolution: event.data.resolution,
          reason: event.data.reason,
          resolved_by: event.data.resolvedBy,
          resolved_at: event.data.resolvedAt,
        };
      }
      return row;
    },
  };
  return { projection, store: deps.store, sql: deps.sql };
}
