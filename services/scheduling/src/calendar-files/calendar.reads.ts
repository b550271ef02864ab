/**
 * The visits a calendar file or a day plan shows, read from the `scheduling_visits` read model (nothing personal in
 * it) — and, where the reader's role and purpose may see addresses, each active visit's address opened from its
 * booking event, with the read recorded in every participant case's access log before anything is served. A
 * cancelled visit's address is never opened: the calendar only needs it gone, the field team does not go there.
 */
import type { Sql } from '@buergerkoffer/shared/event-sourcing';
import { principalOf } from '@buergerkoffer/shared/http';
import { type AccessLog, type Disclosure, sees, WITHHELD } from '@buergerkoffer/shared/privacy';
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { VisitStatus } from '../visits/visit.decider.ts';
import { PLACE_KINDS } from '../visits/visit.events.ts';
import { addressOf, loadVisit, recordVisitRead, type VisitReadDeps } from '../visits/visit.reads.ts';
import { isActive, type VisitEntry } from './visit-entry.ts';

const instant = z.union([z.date(), z.string()]).transform((value) => new Date(value).toISOString());
/** A row of `scheduling_visits`, read back through its schema (jsonb, timestamps and integers as each driver gives them). */
const visitRow = z
  .object({
    visit_id: z.string(),
    status: z.enum(['booking', 'planned', 'confirmed', 'refused', 'cancelled']),
    sequence: z.coerce.number().int(),
    date: z.string(),
    starts_at: instant,
    ends_at: instant,
    kit_id: z.string(),
    staff_ids: z.array(z.string()),
    place_kind: z.enum(PLACE_KINDS),
    institution_id: z.string().nullable(),
    participants: z.array(z.object({ caseId: z.string(), services: z.array(z.string()) })),
    required_devices: z.array(z.string()),
    flag: z.looseObject({ reason: z.string() }).nullable(),
  })
  .transform(
    (r): VisitEntry => ({
      visitId: r.visit_id,
      status: r.status,
      sequence: r.sequence,
      date: r.date,
      start: r.starts_at,
      end: r.ends_at,
      kitId: r.kit_id,
      staffIds: r.staff_ids,
      place: { kind: r.place_kind, ...(r.institution_id ? { institutionId: r.institution_id } : {}) },
      address: WITHHELD,
      participants: r.participants,
      requiredDevices: r.required_devices,
      needsRescheduling: r.flag?.reason ?? null,
    }),
  );

export interface VisitFilter {
  readonly kitId?: string | undefined;
  readonly staffId?: string | undefined;
  /** Local dates, both included. */
  readonly from: string;
  readonly to: string;
  readonly statuses: readonly VisitStatus[];
}

/** At most this many visits in one file: a kit does a handful a day, a year of them fits. */
export const MAX_VISITS = 2_000;

/** The tenant's visits of a kit or a member of staff in the dates, in the order of their start. */
export async function findVisits(sql: Sql, tenantId: string, filter: VisitFilter): Promise<VisitEntry[]> {
  const rows = await sql.query<Record<string, unknown>>(
    `select visit_id, status, sequence, to_char(date, 'YYYY-MM-DD') as date, starts_at, ends_at, kit_id, staff_ids,
            place_kind, institution_id, participants, required_devices, flag
       from scheduling_visits
      where tenant_id = $1 and date between $2::date and $3::date and status = any($4::text[])
        and ($5::text is null or kit_id = $5) and ($6::text is null or staff_ids ? $6)
      order by starts_at, visit_id limit ${MAX_VISITS}`,
    [tenantId, filter.from, filter.to, [...filter.statuses], filter.kitId ?? null, filter.staffId ?? null],
  );
  return rows.map((row) => visitRow.parse(row));
}

export interface AddressReadDeps extends VisitReadDeps {
  readonly log: AccessLog;
}

/** How many visits' addresses are opened at once. */
const PARALLEL = 8;

/**
 * The entries with the addresses of the active visits opened where the disclosure shows addresses, each read
 * recorded in its participants' access logs (`resource`, coalesced per day); `personal` tells whether any was
 * (then the answer is marked `no-store`). Without the `address` kind nothing is opened and nothing recorded.
 */
export async function withAddresses(
  deps: AddressReadDeps,
  request: FastifyRequest,
  entries: readonly VisitEntry[],
  read: { readonly disclosure: Disclosure; readonly resource: string; readonly reference?: string | undefined },
): Promise<{ entries: VisitEntry[]; personal: boolean }> {
  if (!sees(read.disclosure, 'address')) return { entries: [...entries], personal: false };
  const principal = principalOf(request);
  const open = async (entry: VisitEntry): Promise<VisitEntry> => {
    if (!isActive(entry)) return entry;
    const { state } = await loadVisit(deps.sealedStore, entry.visitId);
    await recordVisitRead(deps.log, request, state, read.resource, read.disclosure, read.reference);
    return { ...entry, address: await addressOf(deps, principal, entry.visitId, read.disclosure) };
  };
  const opened: VisitEntry[] = [];
  for (let index = 0; index < entries.length; index += PARALLEL) {
    opened.push(...(await Promise.all(entries.slice(index, index + PARALLEL).map(open))));
  }
  return { entries: opened, personal: opened.some(isActive) };
}
