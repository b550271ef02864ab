/**
 * The officers' work queue (GET /assessments?status=…): assessments by status, oldest first. No personal data — not
 * the pre-check's outcome either, which reveals health data (it is on the assessment, for those who may see it).
 */
import {
  type BoundProjection,
  type EventStore,
  keyField,
  type Projection,
  type Sql,
} from '@buergerkoffer/shared/event-sourcing';
import { type AssessmentEvent, assessmentCodec } from './assessment.events.ts';

const SCHEMA = `
create table if not exists eligibility_assessments (
  case_id     text primary key,
  tenant_id   text not null,
  status      text not null,
  checked_at  timestamptz not null,
  revision    bigint not null
);
-- The pre-check's outcome reveals health data (issue 13): sealed in the events, and no longer kept here in clear.
alter table eligibility_assessments drop column if exists outcome;
create index if not exists eligibility_assessments_queue on eligibility_assessments (tenant_id, status, checked_at);`;

/** The status each decision leaves the assessment in (the pre-check is the row's first event). */
const STATUS: Readonly<Record<Exclude<AssessmentEvent['type'], 'AssessmentPrechecked'>, string>> = {
  EvidenceRequested: 'evidence-requested',
  NecessityConfirmed: 'approved',
  CaseRejected: 'rejected',
  AssessmentReopened: 'awaiting-decision',
  AssessmentClosed: 'closed',
};

interface AssessmentRow {
  readonly case_id: string;
  readonly tenant_id: string;
  readonly status: string;
  readonly checked_at: string;
  readonly revision: number;
}

/**
 * The queue needs no personal data: `store` is the store as stored (sealed), which spares opening the pre-check's
 * sealed mobility data on every read.
 */
export function assessmentQueueProjection(deps: { store: EventStore; sql: Sql }): BoundProjection {
  const { decode } = assessmentCodec.sealed;
  const projection: Projection<AssessmentRow> = {
    name: 'eligibility:queue',
    schema: SCHEMA,
    table: {
      name: 'eligibility_assessments',
      key: 'case_id',
      columns: ['case_id', 'tenant_id', 'status', 'checked_at', 'revision'],
    },
    filter: { streamCategories: ['eligibility'] },
    // Every event of the assessment names its case; `apply` decodes the event (and refuses one that does not match).
    keyOf: (stored) => keyField(stored, 'caseId'),
    apply(row, stored) {
      const event = decode(stored);
      if (event === undefined) return row;
      if (event.type === 'AssessmentPrechecked') {
        // A re-check changes nothing the queue shows: the status and the place in the queue stay.
        if (row) return row.revision < stored.revision ? { ...row, revision: stored.revision } : row;
        return {
          case_id: event.data.caseId,
          tenant_id: stored.metadata.tenantId,
          status: 'awaiting-decision',
          checked_at: event.data.checkedAt,
          revision: stored.revision,
        };
      }
      if (!row || row.revision >= stored.revision) return row;
      return { ...row, status: STATUS[event.type], revision: stored.revision };
    },
  };
  return { projection, store: deps.store, sql: deps.sql };
}

export async function assessmentQueue(
  sql: Sql,
  tenantId: string,
  query: { status: string; page: number; pageSize: number },
): Promise<{
  items: { caseId: string; status: string; checkedAt: string }[];
  total: number;
  page: number;
  pageSize: number;
}> {
  const [count] = await sql.query<{ total: number | string }>(
    'select count(*) as total from eligibility_assessments where tenant_id = $1 and status = $2',
    [tenantId, query.status],
  );
  const rows = await sql.query<{ case_id: string; status: string; checked_at: Date }>(
    `select case_id, status, checked_at from eligibility_assessments where tenant_id = $1 and status = $2
      order by checked_at, case_id limit $3 offset $4`,
    [tenantId, query.status, query.pageSize, (query.page - 1) * query.pageSize],
  );
  return {
    items: rows.map((r) => ({
      caseId: r.case_id,
      status: r.status,
      checkedAt: new Date(r.checked_at).toISOString(),
    })),
    total: Number(count?.total ?? 0),
    page: query.page,
    pageSize: query.pageSize,
  };
}
