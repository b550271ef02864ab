/**
 * The case list (GET /cases) and probable-duplicate lookup, projected from the case streams by a checkpointed
 * subscription into the service's own table. It holds no personal data: the duplicate key is an HMAC of the
 * normalised name and birth date under a key of the service, so the table alone identifies nobody.
 */
import { createHmac } from 'node:crypto';
import {
  type CheckpointStore,
  type EventStore,
  ensureSchema,
  type Sql,
  type Subscription,
  subscribeFromCheckpoint,
} from '@buergerkoffer/shared/event-sourcing';
import type { CaseEvent } from './case.events.ts';

const SCHEMA = `
create table if not exists intake_case_list (
  case_id            uuid primary key,
  tenant_id          text not null,
  reference          text not null,
  status             text not null,
  requested_services jsonb not null,
  duplicate_key      text,
  opened_at          timestamptz not null,
  revision           bigint not null,
  position           bigint not null
);
create index if not exists intake_case_list_tenant_status on intake_case_list (tenant_id, status, opened_at);
create index if not exists intake_case_list_duplicates on intake_case_list (tenant_id, duplicate_key) where status = 'open';`;

/** Lower case, no diacritics, ß → ss, single spaces: "Müller-Lüdenscheidt " ≈ "mueller-luedenscheidt". */
export function normaliseName(name: string): string {
  return name
    .toLowerCase()
    .replace(/ä/g, 'ae')
    .replace(/ö/g, 'oe')
    .replace(/ü/g, 'ue')
    .replace(/ß/g, 'ss')
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .replace(/\s+/g, ' ')
    .trim();
}

export const duplicateKeyOf = (
  secret: Buffer,
  tenantId: string,
  applicant: { givenNames: string; familyName: string; birthDate: string },
): string =>
  createHmac('sha256', secret)
    .update(
      `${tenantId}\u001f${normaliseName(applicant.familyName)}\u001f${normaliseName(applicant.givenNames)}\u001f${applicant.birthDate}`,
    )
    .digest('hex');

export interface CaseListDeps {
  /** The store with personal data opened (to compute the duplicate key); nothing personal is written. */
  readonly store: EventStore;
  readonly sql: Sql;
  readonly checkpoints: CheckpointStore;
  readonly duplicateSecret: Buffer;
}

export async function startCaseListProjection(deps: CaseListDeps): Promise<Subscription> {
  await ensureSchema(deps.sql, SCHEMA);
  return subscribeFromCheckpoint(
    deps.store,
    deps.checkpoints,
    { subscriberId: 'intake:case-list', filter: { streamCategories: ['intakeCase'] } },
    async (stored) => {
      const event = { type: stored.type, data: stored.data } as CaseEvent;
      const tenantId = stored.metadata.tenantId;
      switch (event.type) {
        case 'CaseOpened': {
          const applicant = event.data.applicant;
          const erased = [applicant.givenNames, applicant.familyName, applicant.birthDate].some(
            (v) => v === '[erased]',
          );
          await deps.sql.query(
            `insert into intake_case_list (case_id, tenant_id, reference, status, requested_services, duplicate_key,
                                           opened_at, revision, position)
             values ($1, $2, $3, 'open', $4::jsonb, $5, $6, $7, $8) on conflict (case_id) do nothing`,
            [
              event.data.caseId,
              tenantId,
              event.data.reference,
              JSON.stringify(event.data.requestedServices),
              erased ? null : duplicateKeyOf(deps.duplicateSecret, tenantId, applicant),
              event.data.openedAt,
              stored.revision,
              stored.position,
            ],
          );
          return;
        }
        case 'ServicesChanged':
          await deps.sql.query(
            `update intake_case_list set requested_services = $2::jsonb, revision = $3, position = $4
              where case_id = $1 and revision < $3`,
            [event.data.caseId, JSON.stringify(event.data.requestedServices), stored.revision, stored.position],
          );
          return;
        case 'CaseWithdrawn':
          await deps.sql.query(
            `update intake_case_list set status = 'withdrawn', revision = $2, position = $3 where case_id = $1 and revision < $2`,
            [event.data.caseId, stored.revision, stored.position],
          );
          return;
        case 'EvidenceAttached':
        case 'ContactPersonUpdated':
          await deps.sql.query(
            'update intake_case_list set revision = $2, position = $3 where case_id = $1 and revision < $2',
            [event.data.caseId, stored.revision, stored.position],
          );
          return;
        default: {
          const unknown: never = event;
          return unknown;
        }
      }
    },
  );
}

export async function findOpenDuplicates(sql: Sql, tenantId: string, duplicateKey: string): Promise<string[]> {
  const rows = await sql.query<{ case_id: string }>(
    `select case_id::text as case_id from intake_case_list
      where tenant_id = $1 and duplicate_key = $2 and status = 'open' order by opened_at`,
    [tenantId, duplicateKey],
  );
  return rows.map((row) => row.case_id);
}

export interface CaseListPage {
  readonly items: {
    caseId: string;
    reference: string;
    status: string;
    requestedServices: string[];
    openedAt: string;
  }[];
  readonly page: number;
  readonly pageSize: number;
  readonly total: number;
}

export async function listCases(
  sql: Sql,
  tenantId: string,
  query: { status?: 'open' | 'withdrawn' | undefined; page: number; pageSize: number },
): Promise<CaseListPage> {
  const params: unknown[] = [tenantId];
  let where = 'tenant_id = $1';
  if (query.status) {
    params.push(query.status);
    where += ` and status = $${params.length}`;
  }
  const [count] = await sql.query<{ total: number | string }>(
    `select count(*) as total from intake_case_list where ${where}`,
    params,
  );
  const rows = await sql.query<{
    case_id: string;
    reference: string;
    status: string;
    requested_services: string[];
    opened_at: Date;
  }>(
    `select case_id::text as case_id, reference, status, requested_services, opened_at from intake_case_list
      where ${where} order by opened_at, reference limit $${params.length + 1} offset $${params.length + 2}`,
    [...params, query.pageSize, (query.page - 1) * query.pageSize],
  );
  return {
    items: rows.map((row) => ({
      caseId: row.case_id,
      reference: row.reference,
      status: row.status,
      requestedServices: row.requested_services,
      openedAt: new Date(row.opened_at).toISOString(),
    })),
    page: query.page,
    pageSize: query.pageSize,
    total: Number(count?.total ?? 0),
  };
}
