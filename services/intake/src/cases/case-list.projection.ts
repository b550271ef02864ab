/**
 * The case list (GET /cases) and probable-duplicate lookup, projected from the case streams in pages (see
 * shared/event-sourcing/projection.ts) into the service's own table. It holds no personal data: the duplicate key is
 * an HMAC of the normalised name and birth date under a key of the service, so the table alone identifies nobody —
 * and it is dropped when the applicant is erased (`SubjectErased`), so no one can be found by it afterwards.
 */
import { createHmac, createSecretKey, type KeyObject } from 'node:crypto';
import { PRIVACY_SUBJECT_CATEGORY } from '@buergerkoffer/shared/contracts';
import {
  type BoundProjection,
  type EventStore,
  keyField,
  type Projection,
  type Sql,
  type StoredEvent,
} from '@buergerkoffer/shared/event-sourcing';
import { ERASED, PersonalDataStore, UNREADABLE } from '@buergerkoffer/shared/privacy';
import { caseCodec } from './case.events.ts';

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
  secret: Buffer | KeyObject,
  tenantId: string,
  applicant: { givenNames: string; familyName: string; birthDate: string },
): string =>
  createHmac('sha256', secret)
    .update(
      `${tenantId}\u001f${normaliseName(applicant.familyName)}\u001f${normaliseName(applicant.givenNames)}\u001f${applicant.birthDate}`,
    )
    .digest('hex');

/** A row of intake_case_list as the projection runner hands it over (JSON: timestamps as ISO strings). */
interface CaseListRow {
  readonly case_id: string;
  readonly tenant_id: string;
  readonly reference: string;
  readonly status: 'open' | 'withdrawn';
  readonly requested_services: readonly string[];
  readonly duplicate_key: string | null;
  readonly opened_at: string;
  readonly revision: number;
  readonly position: number;
}

export interface CaseListDeps {
  /** The store with personal data opened (to compute the duplicate key); nothing personal is written. */
  readonly store: EventStore;
  readonly sql: Sql;
  readonly duplicateSecret: Buffer;
}

/**
 * Only what the duplicate key needs is opened: the address, contact and health data beside it stay sealed (data
 * minimisation, and five decryptions fewer per case in a rebuild).
 */
const OPENED = { CaseOpened: ['applicant.givenNames', 'applicant.familyName', 'applicant.birthDate'] } as const;

/** A later event of the case (by stream revision) moves the row on; a repeated or older one leaves it as it is. */
const isNewer = (row: CaseListRow | undefined, stored: StoredEvent): row is CaseListRow =>
  row !== undefined && row.revision < stored.revision;

export function caseListProjection(deps: CaseListDeps): BoundProjection {
  // Made once: an HMAC from a KeyObject is much cheaper than from raw bytes, and a rebuild computes one per case.
  const secret = createSecretKey(deps.duplicateSecret);
  // A store without personal-data protection holds every field as it was given.
  const opening = deps.store instanceof PersonalDataStore;
  const partly = caseCodec.openingOnly(OPENED);
  const decode = (stored: StoredEvent) => (opening ? partly.decode(stored) : caseCodec.decode(stored));
  const projection: Projection<CaseListRow> = {
    name: 'intake:case-list',
    schema: SCHEMA,
    table: {
      name: 'intake_case_list',
      key: 'case_id',
      columns: [
        'case_id',
        'tenant_id',
        'reference',
        'status',
        'requested_services',
        'duplicate_key',
        'opened_at',
        'revision',
        'position',
      ],
    },
    // The subjects' erasures too: the duplicate key is derived from the applicant, and goes with them.
    filter: { streamCategories: ['intakeCase', PRIVACY_SUBJECT_CATEGORY] },
    // Every event of the case names it, as does each erasure record; `apply` decodes the event (and refuses one that
    // does not match).
    keyOf: (stored) => keyField(stored, 'caseId'),
    apply(row, stored) {
      if (stored.type === 'SubjectErased') return row && { ...row, duplicate_key: null };
      const event = decode(stored);
      if (event === undefined) return row;
      const moved = { revision: stored.revision, position: stored.position };
      switch (event.type) {
        case 'CaseOpened': {
          if (row) return row;
          const tenantId = stored.metadata.tenantId;
          const { givenNames, familyName, birthDate } = event.data.applicant;
          // Erased (or not authenticating): no key, so the case is nobody's duplicate.
          const unopened = [givenNames, familyName, birthDate].some((v) => v === ERASED || v === UNREADABLE);
          return {
            case_id: event.data.caseId,
            tenant_id: tenantId,
            reference: event.data.reference,
            status: 'open',
            requested_services: event.data.requestedServices,
            duplicate_key: unopened ? null : duplicateKeyOf(secret, tenantId, { givenNames, familyName, birthDate }),
            opened_at: event.data.openedAt,
            ...moved,
          };
        }
        case 'ServicesChanged':
          return isNewer(row, stored) ? { ...row, requested_services: event.data.requestedServices, ...moved } : row;
        case 'CaseWithdrawn':
          return isNewer(row, stored) ? { ...row, status: 'withdrawn', ...moved } : row;
        case 'EvidenceAttached':
        case 'ContactPersonUpdated':
          return isNewer(row, stored) ? { ...row, ...moved } : row;
        default: {
          // Exhaustive at compile time; a type not of the slice was decoded as undefined and changed nothing.
          const _unhandled: never = event;
          return row;
        }
      }
    },
  };
  const store = deps.store instanceof PersonalDataStore ? deps.store.openingOnly(OPENED) : deps.store;
  return { projection, store, sql: deps.sql };
}

/** The open cases of the tenant with each of the duplicate keys (one query for all), oldest first per key. */
export async function findOpenDuplicates(
  sql: Sql,
  tenantId: string,
  duplicateKeys: readonly string[],
): Promise<Map<string, string[]>> {
  const found = new Map<string, string[]>(duplicateKeys.map((key) => [key, []]));
  if (duplicateKeys.length === 0) return found;
  const rows = await sql.query<{ case_id: string; duplicate_key: string }>(
    `select case_id::text as case_id, duplicate_key from intake_case_list
      where tenant_id = $1 and duplicate_key = any($2::text[]) and status = 'open' order by opened_at`,
    [tenantId, [...new Set(duplicateKeys)]],
  );
  for (const row of rows) found.get(row.duplicate_key)?.push(row.case_id);
  return found;
}

/**
 * Of these cases, those still comparable: a case whose applicant was erased lost its duplicate key, and a link to it
 * ("same name and birth date as case X") would tell its erased applicant's identity from the other case's.
 */
export async function stillComparable(sql: Sql, tenantId: string, caseIds: readonly string[]): Promise<string[]> {
  if (caseIds.length === 0) return [];
  const rows = await sql.query<{ case_id: string }>(
    `select case_id::text as case_id from intake_case_list
      where tenant_id = $1 and case_id = any($2::uuid[]) and duplicate_key is not null`,
    [tenantId, [...caseIds]],
  );
  const kept = new Set(rows.map((row) => row.case_id));
  return caseIds.filter((caseId) => kept.has(caseId));
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
