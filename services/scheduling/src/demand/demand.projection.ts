/**
 * The scheduler's demand (GET /queue): each case's state of planning — awaiting approval, to plan, planned, closed —
 * with its services and group request. No personal data: ids and service ids.
 */
import {
  type BoundProjection,
  type EventStore,
  keyField,
  type Projection,
  type Sql,
} from '@buergerkoffer/shared/event-sourcing';
import { type DemandState, demandDecider, demandStatus } from './demand.decider.ts';
import { demandCodec } from './demand.events.ts';

const SCHEMA = `
create table if not exists scheduling_demand (
  case_id            text primary key,
  tenant_id          text not null,
  status             text not null,
  state              jsonb not null,
  requested_services jsonb,
  group_request_id   text,
  institution_id     text,
  visit_id           text,
  since              timestamptz not null,
  revision           bigint not null
);
create index if not exists scheduling_demand_status on scheduling_demand (tenant_id, status, since);
create index if not exists scheduling_demand_group on scheduling_demand (tenant_id, group_request_id);`;

export interface DemandRow {
  readonly case_id: string;
  readonly tenant_id: string;
  readonly status: string;
  readonly state: DemandState;
  readonly requested_services: readonly string[] | null;
  readonly group_request_id: string | null;
  readonly institution_id: string | null;
  readonly visit_id: string | null;
  readonly since: string;
  readonly revision: number;
}

const timeOf = (data: Record<string, unknown>): string => {
  for (const key of ['recordedAt', 'changedAt', 'approvedAt', 'closedAt', 'plannedAt', 'releasedAt']) {
    const value = data[key];
    if (typeof value === 'string') return value;
  }
  return new Date(0).toISOString();
};

export function demandProjection(deps: { store: EventStore; sql: Sql }): BoundProjection {
  const projection: Projection<DemandRow> = {
    name: 'scheduling:demand',
    schema: SCHEMA,
    table: {
      name: 'scheduling_demand',
      key: 'case_id',
      columns: [
        'case_id',
        'tenant_id',
        'status',
        'state',
        'requested_services',
        'group_request_id',
        'institution_id',
        'visit_id',
        'since',
        'revision',
      ],
    },
    filter: { streamCategories: ['schedulingDemand'] },
    keyOf: (stored) => keyField(stored, 'caseId'),
    apply(row, stored) {
      const event = demandCodec.decode(stored);
      if (event === undefined) return row;
      if (row && row.revision >= stored.revision) return row;
      const state = demandDecider.evolve(row?.state ?? demandDecider.initialState(), event);
      const status = demandStatus(state);
      return {
        case_id: event.data.caseId,
        tenant_id: stored.metadata.tenantId,
        status,
        state,
        requested_services: state.requestedServices ?? null,
        group_request_id: state.groupRequestId ?? null,
        institution_id: state.institutionId ?? null,
        visit_id: state.visitId,
        // When it entered its status (the queue's order: longest waiting first).
        since: row && row.status === status ? row.since : timeOf(event.data),
        revision: stored.revision,
      };
    },
  };
  return { projection, store: deps.store, sql: deps.sql };
}
