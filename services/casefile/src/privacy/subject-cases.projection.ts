/**
 * Which cases are about which data subject (the applicant's `subjectId`, which CaseOpened carries in clear: a
 * pseudonym, not personal data by itself): what an erasure or an export (Art. 17, 15) starts from. Projected from
 * the intake case streams into casefile's own table.
 */
import {
  type BoundProjection,
  type EventStore,
  keyField,
  type Projection,
  type Sql,
} from '@buergerkoffer/shared/event-sourcing';
import { z } from 'zod';

const SCHEMA = `
create table if not exists casefile_subject_cases (
  case_id    text primary key,
  tenant_id  text not null,
  subject_id text not null,
  opened_at  timestamptz not null
);
create index if not exists casefile_subject_cases_subject on casefile_subject_cases (tenant_id, subject_id);`;

interface SubjectCaseRow {
  readonly case_id: string;
  readonly tenant_id: string;
  readonly subject_id: string;
  readonly opened_at: string;
}

const opened = z.looseObject({ caseId: z.string(), applicant: z.looseObject({ subjectId: z.string() }) });

export function subjectCasesProjection(deps: { store: EventStore; sql: Sql }): BoundProjection {
  const projection: Projection<SubjectCaseRow> = {
    name: 'casefile:subject-cases',
    schema: SCHEMA,
    table: {
      name: 'casefile_subject_cases',
      key: 'case_id',
      columns: ['case_id', 'tenant_id', 'subject_id', 'opened_at'],
    },
    filter: { streamCategories: ['intakeCase'], eventTypePrefixes: ['CaseOpened'] },
    keyOf: (stored) => (stored.type === 'CaseOpened' ? keyField(stored, 'caseId') : undefined),
    apply(row, stored) {
      if (row || stored.type !== 'CaseOpened') return row;
      const data = opened.parse(stored.data);
      return {
        case_id: data.caseId,
        tenant_id: stored.metadata.tenantId,
        subject_id: data.applicant.subjectId,
        opened_at: stored.recordedAt.toISOString(),
      };
    },
  };
  return { projection, store: deps.store, sql: deps.sql };
}

/** The tenant's cases about the subject, oldest first. */
export async function casesOfSubject(sql: Sql, tenantId: string, subjectId: string): Promise<string[]> {
  const rows = await sql.query<{ case_id: string }>(
    'select case_id from casefile_subject_cases where tenant_id = $1 and subject_id = $2 order by opened_at, case_id',
    [tenantId, subjectId],
  );
  return rows.map((row) => row.case_id);
}
