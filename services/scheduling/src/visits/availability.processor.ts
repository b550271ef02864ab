/**
 * Availability: when a kit's device is reported faulty (by a route now, by fieldkit later), the kit is withdrawn, or
 * a member of staff is absent or deactivated, every visit still ahead that needs them is flagged for rescheduling
 * and appears in the scheduler's queue. Follows the kits' and staff's streams from its checkpoint; a visit planned
 * just as its kit broke is caught from the other side: a visit planned on a kit with a faulty needed device is
 * flagged when this processor reaches its planning. Idempotent: a flag is raised once per reason.
 */
import {
  type CheckpointStore,
  type EventStore,
  type Processor,
  type ProcessorLogger,
  type ProcessorRegistry,
  type Sql,
  type StoredEvent,
  startProcessor,
} from '@buergerkoffer/shared/event-sourcing';
import { kitCodec } from '../resources/kit.events.ts';
import { listKits } from '../resources/resource.projections.ts';
import { staffCodec } from '../resources/staff.events.ts';
import type { VisitCommand } from './visit.commands.ts';
import { visitCodec } from './visit.events.ts';
import { onVisit } from './visit-booking.ts';

export const AVAILABILITY = 'scheduling:availability';

export interface AvailabilityDeps {
  /** The store as stored (nothing personal is read or written here). */
  readonly store: EventStore;
  readonly sql: Sql;
  readonly checkpoints: CheckpointStore;
  readonly now: () => Date;
}

type Flag = Extract<VisitCommand, { type: 'FlagForRescheduling' }>;

async function futureVisits(
  sql: Sql,
  tenantId: string,
  where: { kitId?: string; device?: string; staffId?: string; from?: string; to?: string },
  now: Date,
): Promise<string[]> {
  const rows = await sql.query<{ visit_id: string }>(
    `select visit_id from scheduling_visits
      where tenant_id = $1 and status in ('planned', 'confirmed') and ends_at > $2
        and ($3::text is null or kit_id = $3) and ($4::text is null or required_devices ? $4)
        and ($5::text is null or staff_ids ? $5)
        and ($6::date is null or date >= $6) and ($7::date is null or date <= $7)
      order by starts_at`,
    [
      tenantId,
      now.toISOString(),
      where.kitId ?? null,
      where.device ?? null,
      where.staffId ?? null,
      where.from ?? null,
      where.to ?? null,
    ],
  );
  return rows.map((r) => r.visit_id);
}

async function flag(
  deps: AvailabilityDeps,
  stored: StoredEvent,
  visitIds: readonly string[],
  flagOf: (visitId: string) => Flag,
): Promise<void> {
  for (const visitId of visitIds) {
    await onVisit(deps, visitId, flagOf(visitId), {
      tenantId: stored.metadata.tenantId,
      actor: { id: 'scheduling-availability', role: 'system' },
      causationId: stored.id,
      idempotencyKey: `${stored.id}:${visitId}`,
    }).catch((error: unknown) => {
      // A visit cancelled or refused meanwhile has nothing to reschedule.
      if (error instanceof Error && 'code' in error && error.code === 'visit-action-not-allowed') return;
      throw error;
    });
  }
}

export async function followAvailability(deps: AvailabilityDeps, stored: StoredEvent): Promise<void> {
  const tenantId = stored.metadata.tenantId;
  const now = deps.now();
  const at = now.toISOString();
  const kitEvent = stored.stream.startsWith('kit-') ? kitCodec.decode(stored) : undefined;
  if (kitEvent?.type === 'KitDeviceReportedFaulty') {
    const { kitId, device } = kitEvent.data;
    const visits = await futureVisits(deps.sql, tenantId, { kitId, device }, now);
    await flag(deps, stored, visits, (visitId) => ({
      type: 'FlagForRescheduling',
      visitId,
      reason: 'device-faulty',
      kitId,
      device,
      now: at,
    }));
    return;
  }
  if (kitEvent?.type === 'KitWithdrawn') {
    const { kitId } = kitEvent.data;
    const visits = await futureVisits(deps.sql, tenantId, { kitId }, now);
    await flag(deps, stored, visits, (visitId) => ({
      type: 'FlagForRescheduling',
      visitId,
      reason: 'kit-withdrawn',
      kitId,
      now: at,
    }));
    return;
  }
  const staffEvent = stored.stream.startsWith('staffMember-') ? staffCodec.decode(stored) : undefined;
  if (staffEvent?.type === 'AbsenceRecorded') {
    const { staffId, from, to } = staffEvent.data;
    const visits = await futureVisits(deps.sql, tenantId, { staffId, from, to }, now);
    await flag(deps, stored, visits, (visitId) => ({
      type: 'FlagForRescheduling',
      visitId,
      reason: 'staff-absent',
      staffId,
      now: at,
    }));
    return;
  }
  if (staffEvent?.type === 'StaffMemberDeactivated') {
    const { staffId } = staffEvent.data;
    const visits = await futureVisits(deps.sql, tenantId, { staffId }, now);
    await flag(deps, stored, visits, (visitId) => ({
      type: 'FlagForRescheduling',
      visitId,
      reason: 'staff-deactivated',
      staffId,
      now: at,
    }));
    return;
  }
  const visitEvent = stored.stream.startsWith('visit-') ? visitCodec.sealed.decode(stored) : undefined;
  if (visitEvent?.type === 'VisitPlanned') {
    // Planned on a kit that broke meanwhile (the booking checked the kit's read model, which may lag).
    const kit = (await listKits(deps.sql, tenantId)).find((k) => k.kitId === visitEvent.data.kitId);
    const [started] = await deps.store.readStream(stored.stream, { limit: 1 });
    const needed = started ? visitCodec.sealed.decode(started) : undefined;
    if (!kit || needed?.type !== 'VisitBookingStarted') return;
    const broken = needed.data.requiredDevices.find((device) => kit.devices[device] !== 'ok');
    if (kit.status !== 'in-service' || broken) {
      await flag(deps, stored, [visitEvent.data.visitId], (visitId) => ({
        type: 'FlagForRescheduling',
        visitId,
        reason: kit.status !== 'in-service' ? 'kit-withdrawn' : 'device-faulty',
        kitId: kit.kitId,
        ...(broken ? { device: broken } : {}),
        now: at,
      }));
    }
  }
}

export function startAvailability(
  deps: AvailabilityDeps,
  runtime: { registry?: ProcessorRegistry | undefined; log?: ProcessorLogger | undefined } = {},
): Processor {
  return startProcessor(
    deps.store,
    {
      name: AVAILABILITY,
      filter: { streamCategories: ['kit', 'staffMember', 'visit'] },
      ...(runtime.registry ? { registry: runtime.registry } : {}),
      ...(runtime.log ? { log: runtime.log } : {}),
    },
    {
      resumeFrom: async () => (await deps.checkpoints.load(AVAILABILITY)) ?? 0,
      handle: async (batch) => {
        for (const stored of batch) await followAvailability(deps, stored);
        const last = batch.at(-1);
        if (last) await deps.checkpoints.store(AVAILABILITY, last.position);
        return undefined;
      },
    },
  );
}
