/** The officers' work queue (GET /assessments?status=…): assessments by status, oldest first. No personal data. */
import {
  type CheckpointStore,
  type EventStore,
  ensureSchema,
  type Sql,
  type Subscription,
  subscribeFromCheckpoint,
} from '@buergerkoffer/shared/event-sourcing';

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

export async function startAssessmentQueue(deps: {
  store: EventStore;
  sql: Sql;
  checkpoints: CheckpointStore;
}): Promise<Subscription> {
  await ensureSchema(deps.sql, SCHEMA);
  return subscribeFromCheckpoint(
    deps.store,
    deps.checkpoints,
    { subscriberId: 'eligibility:queue', filter: { streamCategories: ['eligibility'] } },
    async (event) => {
      const data = event.data as { caseId: string; precheck?: { outcome: string }; checkedAt?: string };
      if (event.type === 'AssessmentPrechecked') {
        await deps.sql.query(
          `insert into eligibility_assessments (case_id, tenant_id, status, outcome, checked_at, revision)
           values ($1, $2, 'awaiting-decision', $3, $4, $5)
           on conflict (case_id) do update set outcome = excluded.outcome, revision = excluded.revision
             where eligibility_assessments.revision < excluded.revision`,
          [
            data.caseId,
            event.metadata.tenantId,
            data.precheck?.outcome ?? 'needs-evidence',
            data.checkedAt,
            event.revision,
          ],
        );
        return;
      }
      const status = STATUS[event.type];
      if (!status) return;
      await deps.sql.query(
        'update eligibility_assessments set status = $2, revision = $3 where case_id = $1 and revision < $3',
        [data.caseId, status, event.revision],
      );
    },
  );
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
