/** The officers' work queue (GET /assessments?status=…): assessments by status, oldest first. No personal data. */
import type { BoundProjection, EventStore, Projection, Sql } from '@buergerkoffer/shared/event-sourcing';

const SCHEMA = `
create table if not exists eligibility_assessments (
  case_id     text primary key,
  tenant_id   text not null,
  status      text not null,
  outcome     text not null,
  checked_at  timestamptz not null,
  revision    bigint not null
);
create index if not exists eligibility_assessments_queue on eligibility_assessments (tenant_id, status, checked_at);`;

const STATUS: Record<string, string> = {
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
  readonly outcome: string;
  readonly checked_at: string;
  readonly revision: number;
}

type QueueEventData = { caseId?: unknown; precheck?: { outcome: string }; checkedAt?: string } | null;

/**
 * The queue needs no personal data: `store` may be the store as stored (sealed), which spares opening the
 * pre-check's sealed mobility data on every read.
 */
export function assessmentQueueProjection(deps: { store: EventStore; sql: Sql }): BoundProjection {
  const projection: Projection<AssessmentRow> = {
    name: 'eligibility:queue',
    schema: SCHEMA,
    table: {
      name: 'eligibility_assessments',
      key: 'case_id',
      columns: ['case_id', 'tenant_id', 'status', 'outcome', 'checked_at', 'revision'],
    },
    filter: { streamCategories: ['eligibility'] },
    keyOf(event) {
      const caseId = (event.data as QueueEventData)?.caseId;
      return typeof caseId === 'string' && (event.type === 'AssessmentPrechecked' || STATUS[event.type])
        ? caseId
        : undefined;
    },
    apply(row, event) {
      const data = event.data as QueueEventData;
      if (event.type === 'AssessmentPrechecked') {
        const outcome = data?.precheck?.outcome ?? 'needs-evidence';
        // A re-check updates the outcome; the status and the place in the queue stay.
        if (row) return row.revision < event.revision ? { ...row, outcome, revision: event.revision } : row;
        return {
          case_id: String(data?.caseId),
          tenant_id: event.metadata.tenantId,
          status: 'awaiting-decision',
          outcome,
          checked_at: String(data?.checkedAt),
          revision: event.revision,
        };
      }
      const status = STATUS[event.type];
      if (!status || !row || row.revision >= event.revision) return row;
      return { ...row, status, revision: event.revision };
    },
  };
  return { projection, store: deps.store, sql: deps.sql };
}

export async function assessmentQueue(
  sql: Sql,
  tenantId: string,
  query: { status: string; page: number; pageSize: number },
): Promise<{
  items: { caseId: string; status: string; precheck: string; checkedAt: string }[];
  total: number;
  page: number;
  pageSize: number;
}> {
  const [count] = await sql.query<{ total: number | string }>(
    'select count(*) as total from eligibility_assessments where tenant_id = $1 and status = $2',
    [tenantId, query.status],
  );
  const rows = await sql.query<{ case_id: string; status: string; outcome: string; checked_at: Date }>(
    `select case_id, status, outcome, checked_at from eligibility_assessments where tenant_id = $1 and status = $2
      order by checked_at, case_id limit $3 offset $4`,
    [tenantId, query.status, query.pageSize, (query.page - 1) * query.pageSize],
  );
  return {
    items: rows.map((r) => ({
      caseId: r.case_id,
      status: r.status,
      precheck: r.outcome,
      checkedAt: new Date(r.checked_at).toISOString(),
    })),
    total: Number(count?.total ?? 0),
    page: query.page,
    pageSize: query.pageSize,
  };
}
