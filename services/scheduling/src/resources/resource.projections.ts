/**
 * The tenant's kits and field staff as lists (`scheduling_kits`, `scheduling_staff`): what the planner reads to find a
 * kit whose devices work and two staff who are in and not away, and what `GET /kits` and `GET /staff` answer. One row
 * per kit or member of staff, its revision the stream's. Nothing personal: a staff member's display name is an
 * employee's work data.
 */
import {
  type BoundProjection,
  type EventStore,
  keyField,
  type Projection,
  type Sql,
} from '@buergerkoffer/shared/event-sourcing';
import { z } from 'zod';
import { deviceStatus, kitCodec } from './kit.events.ts';
import { staffCodec, workingHours } from './staff.events.ts';

const KITS_SCHEMA = `
create table if not exists scheduling_kits (
  kit_id       text primary key,
  tenant_id    text not null,
  name         text not null,
  home_office  text not null,
  status       text not null,
  devices      jsonb not null, -- object device → 'ok' | 'faulty'
  revision     bigint not null
);
create index if not exists scheduling_kits_tenant on scheduling_kits (tenant_id, name);`;

const STAFF_SCHEMA = `
create table if not exists scheduling_staff (
  staff_id      text primary key,
  tenant_id     text not null,
  display_name  text not null,
  home_office   text not null,
  active        boolean not null,
  working_hours jsonb not null,
  absences      jsonb not null, -- array of { absenceId, from, to }
  revision      bigint not null
);
create index if not exists scheduling_staff_tenant on scheduling_staff (tenant_id, display_name);`;

interface KitTableRow {
  readonly kit_id: string;
  readonly tenant_id: string;
  readonly name: string;
  readonly home_office: string;
  readonly status: 'in-service' | 'withdrawn';
  readonly devices: Readonly<Record<string, 'ok' | 'faulty'>>;
  readonly revision: number;
}

interface StaffTableRow {
  readonly staff_id: string;
  readonly tenant_id: string;
  readonly display_name: string;
  readonly home_office: string;
  readonly active: boolean;
  readonly working_hours: z.infer<typeof workingHours>;
  readonly absences: readonly { readonly absenceId: string; readonly from: string; readonly to: string }[];
  readonly revision: number;
}

export function kitsProjection(deps: { store: EventStore; sql: Sql }): BoundProjection {
  const { decode } = kitCodec;
  const projection: Projection<KitTableRow> = {
    name: 'scheduling:kits',
    schema: KITS_SCHEMA,
    table: {
      name: 'scheduling_kits',
      key: 'kit_id',
      columns: ['kit_id', 'tenant_id', 'name', 'home_office', 'status', 'devices', 'revision'],
    },
    filter: { streamCategories: ['kit'] },
    keyOf: (stored) => keyField(stored, 'kitId'),
    apply(row, stored) {
      const event = decode(stored);
      if (event === undefined || (row && row.revision >= stored.revision)) return row;
      const { revision } = stored;
      switch (event.type) {
        case 'KitRegistered': {
          const { kitId, name, homeOffice, devices } = event.data;
          return {
            kit_id: kitId,
            tenant_id: stored.metadata.tenantId,
            name,
            home_office: homeOffice,
            status: 'in-service',
            devices: Object.fromEntries(devices.map((d) => [d.device, d.status])),
            revision,
          };
        }
        case 'KitDetailsChanged':
          return row && { ...row, name: event.data.name, home_office: event.data.homeOffice, revision };
        case 'KitDeviceReportedFaulty':
          return row && { ...row, devices: { ...row.devices, [event.data.device]: 'faulty' }, revision };
        case 'KitDeviceRepaired':
          return row && { ...row, devices: { ...row.devices, [event.data.device]: 'ok' }, revision };
        case 'KitWithdrawn':
          return row && { ...row, status: 'withdrawn', revision };
        default: {
          const unknown: never = event;
          return unknown;
        }
      }
    },
  };
  return { projection, store: deps.store, sql: deps.sql };
}

export function staffProjection(deps: { store: EventStore; sql: Sql }): BoundProjection {
  const { decode } = staffCodec;
  const projection: Projection<StaffTableRow> = {
    name: 'scheduling:staff',
    schema: STAFF_SCHEMA,
    table: {
      name: 'scheduling_staff',
      key: 'staff_id',
      columns: [
        'staff_id',
        'tenant_id',
        'display_name',
        'home_office',
        'active',
        'working_hours',
        'absences',
        'revision',
      ],
    },
    filter: { streamCategories: ['staffMember'] },
    keyOf: (stored) => keyField(stored, 'staffId'),
    apply(row, stored) {
      const event = decode(stored);
      if (event === undefined || (row && row.revision >= stored.revision)) return row;
      const { revision } = stored;
      switch (event.type) {
        case 'StaffMemberRegistered': {
          const { staffId, displayName, homeOffice } = event.data;
          return {
            staff_id: staffId,
            tenant_id: stored.metadata.tenantId,
            display_name: displayName,
            home_office: homeOffice,
            active: true,
            working_hours: event.data.workingHours,
            absences: [],
            revision,
          };
        }
        case 'WorkingHoursChanged':
          return row && { ...row, working_hours: event.data.workingHours, revision };
        case 'AbsenceRecorded': {
          const { absenceId, from, to } = event.data;
          return row && { ...row, absences: [...row.absences, { absenceId, from, to }], revision };
        }
        case 'AbsenceCancelled':
          return (
            row && {
              ...row,
              absences: row.absences.filter((absence) => absence.absenceId !== event.data.absenceId),
              revision,
            }
          );
        case 'StaffMemberDeactivated':
          return row && { ...row, active: false, revision };
        default: {
          const unknown: never = event;
          return unknown;
        }
      }
    },
  };
  return { projection, store: deps.store, sql: deps.sql };
}

/** The slice's read models, for the service to run and a rebuild to replay. */
export const resourceProjections = (deps: { store: EventStore; sql: Sql }): BoundProjection[] => [
  kitsProjection(deps),
  staffProjection(deps),
];

/** A row of the kit list, read back through its schema (jsonb and bigint as each driver gives them). */
const kitListRow = z
  .object({
    kit_id: z.string(),
    name: z.string(),
    home_office: z.string(),
    status: z.enum(['in-service', 'withdrawn']),
    devices: z.record(z.string(), deviceStatus),
    revision: z.coerce.number().int(),
  })
  .transform((r) => ({
    kitId: r.kit_id,
    name: r.name,
    homeOffice: r.home_office,
    status: r.status,
    devices: r.devices,
    revision: r.revision,
  }));
export type KitListRow = z.output<typeof kitListRow>;

const staffListRow = z
  .object({
    staff_id: z.string(),
    display_name: z.string(),
    home_office: z.string(),
    active: z.boolean(),
    working_hours: workingHours,
    absences: z.array(z.object({ absenceId: z.string(), from: z.string(), to: z.string() })),
    revision: z.coerce.number().int(),
  })
  .transform((r) => ({
    staffId: r.staff_id,
    displayName: r.display_name,
    homeOffice: r.home_office,
    active: r.active,
    workingHours: r.working_hours,
    absences: r.absences,
    revision: r.revision,
  }));
export type StaffListRow = z.output<typeof staffListRow>;

/** The tenant's kits by name (withdrawn ones included: their status says so). */
export async function listKits(sql: Sql, tenantId: string): Promise<KitListRow[]> {
  const rows = await sql.query<Record<string, unknown>>(
    `select kit_id, name, home_office, status, devices, revision from scheduling_kits
      where tenant_id = $1 order by name, kit_id`,
    [tenantId],
  );
  return rows.map((row) => kitListRow.parse(row));
}

/** The tenant's field staff by display name (deactivated ones included: `active` says so). */
export async function listStaff(sql: Sql, tenantId: string): Promise<StaffListRow[]> {
  const rows = await sql.query<Record<string, unknown>>(
    `select staff_id, display_name, home_office, active, working_hours, absences, revision from scheduling_staff
      where tenant_id = $1 order by display_name, staff_id`,
    [tenantId],
  );
  return rows.map((row) => staffListRow.parse(row));
}
