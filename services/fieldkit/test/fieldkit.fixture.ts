/**
 * A fieldkit service under test with what a sync needs: one kit, its visits as the office consumer records them from
 * scheduling's events (`KitVisitAssigned`, one per participant case, appended to the visit's stream), and a kit's
 * day of records on those visits, as the kit client keeps them (SyncRecords in the order recorded).
 */
import {
  CATALOGUE,
  type KitDevice,
  NOT_COMPLETED_REASONS,
  type ServiceId,
  type SyncRecord,
  type SyncResponse,
} from '@buergerkoffer/shared/contracts';
import { type EventToAppend, type Sql, uuidv7 } from '@buergerkoffer/shared/event-sourcing';
import { buildTestApp, type TestApp } from '@buergerkoffer/shared/testing';
import { definition } from '../src/service.ts';
import { type FieldVisitEvent, toFieldVisitStreamName } from '../src/visits/field-visit.events.ts';

export const TENANT = 'bochum';
/** How the office consumer stamps the events it records from scheduling's. */
export const OFFICE_METADATA = { tenantId: TENANT, actor: { id: 'fieldkit-office', role: 'system' } } as const;

export interface SeededVisit {
  readonly visitId: string;
  readonly stream: string;
  readonly staffIds: readonly [string, string];
  readonly start: string;
  readonly end: string;
  readonly participants: readonly { readonly caseId: string; readonly services: readonly ServiceId[] }[];
  /** The manifest version after seeding (one per KitVisitAssigned): what the kit's records carry as baseVersion. */
  readonly version: number;
  /** The office's events as appended (to append the same elsewhere). */
  readonly events: readonly EventToAppend[];
}

export interface VisitPlan {
  /** The visit's participants (one case each). */
  readonly participants: number;
  /** Each participant's services. */
  readonly services: readonly ServiceId[];
  /** The first visit's start (default: 08:00 UTC on 2027-03-01); each further visit a day later. */
  readonly start?: Date;
  readonly minutes?: number;
}

export interface FieldkitFixture {
  readonly fixture: TestApp;
  readonly kitId: string;
  /** The kit's token (role kit-device, bound to `kitId`). */
  kitToken(): Promise<{ authorization: string }>;
  /** New visits of the kit, each with its own participants and two staff, appended as the office consumer does. */
  seedVisits(count: number, plan: VisitPlan): Promise<SeededVisit[]>;
  /** `POST /kits/{kitId}/sync`; throws unless 200. */
  sync(items: readonly SyncRecord[]): Promise<SyncResponse>;
  /** Waits until every processor of the store (read models, relay) has reached the store's head. */
  settled(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * The office's events of the kit's `index`-th visit (on the `index`-th day from the plan's start): one
 * KitVisitAssigned per participant, the first of which plans the visit.
 */
export function assignedEvents(kitId: string, index: number, plan: VisitPlan): SeededVisit {
  const visitId = uuidv7();
  const staffIds: [string, string] = [uuidv7(), uuidv7()];
  const startAt = new Date((plan.start ?? new Date('2027-03-01T08:00:00Z')).getTime() + index * 86_400_000);
  const start = startAt.toISOString();
  const end = new Date(startAt.getTime() + (plan.minutes ?? 90) * 60_000).toISOString();
  const participants = Array.from({ length: plan.participants }, () => ({
    caseId: uuidv7(),
    services: [...plan.services],
  }));
  const events = participants.map(({ caseId, services }): EventToAppend => {
    const event: FieldVisitEvent = {
      type: 'KitVisitAssigned',
      data: {
        visitId,
        kitId,
        staffIds,
        start,
        end,
        caseId,
        services,
        groupVisit: plan.participants > 1,
        assignedAt: new Date(startAt.getTime() - 86_400_000).toISOString(),
      },
    };
    return { id: uuidv7(), type: event.type, data: event.data, metadata: OFFICE_METADATA };
  });
  return {
    visitId,
    stream: toFieldVisitStreamName(visitId),
    staffIds,
    start,
    end,
    participants,
    version: events.length,
    events,
  };
}

const FEES: Readonly<Partial<Record<ServiceId, number>>> = {
  'id-card': 3_700,
  passport: 7_000,
  'registration-certificate': 1_000,
  'certified-copy': 500,
  'life-certificate': 0,
};
const PAYMENTS = ['card', 'cash'] as const;

/** The devices a visit's services need (the catalogue), each once. */
const devicesOf = (visit: SeededVisit): KitDevice[] => [
  ...new Set(visit.participants.flatMap((p) => p.services.flatMap((service) => CATALOGUE[service].needs))),
];

/**
 * A kit's records of its visits, in the order recorded: per visit started, the device check at the start, each
 * participant's services (every eighth not completed, with a reason; the rest completed, with fee, payment and — for
 * an ID card — the producer's reference), the device check at the end, ended. Sequence numbers run on from `from`.
 */
export function kitDayRecords(
  visits: readonly SeededVisit[],
  options: { readonly deviceId?: string; readonly from?: number } = {},
): SyncRecord[] {
  const deviceId = options.deviceId ?? 'bk-03-nb';
  let sequence = options.from ?? 1;
  const records: SyncRecord[] = [];
  for (const visit of visits) {
    const [lead, second] = visit.staffIds;
    let minute = 0;
    const common = (recordedBy: string) => ({
      submissionId: uuidv7(),
      deviceId,
      baseVersion: visit.version,
      capturedAt: new Date(new Date(visit.start).getTime() + minute++ * 30_000).toISOString(),
      sequence: sequence++,
      visitId: visit.visitId,
      recordedBy,
    });
    const devices = devicesOf(visit).map((device) => ({ device, status: 'ok' as const }));
    records.push({ ...common(lead), kind: 'visit-started' });
    records.push({ ...common(lead), kind: 'device-check', phase: 'start', devices });
    let service = 0;
    visit.participants.forEach(({ caseId, services: asked }, p) => {
      for (const id of asked) {
        const recordedBy = p % 2 === 0 ? lead : second;
        if (++service % 8 === 0) {
          const reason = NOT_COMPLETED_REASONS[service % NOT_COMPLETED_REASONS.length] ?? 'absent';
          records.push({ ...common(recordedBy), kind: 'service-not-completed', caseId, service: id, reason });
          continue;
        }
        const feeCents = FEES[id] ?? 0;
        records.push({
          ...common(recordedBy),
          kind: 'service-completed',
          caseId,
          service: id,
          ...(id === 'id-card' ? { producerReference: `L01X${String(sequence).padStart(5, '0')}T47` } : {}),
          feeCents,
          paymentMethod: feeCents === 0 ? 'none' : (PAYMENTS[service % PAYMENTS.length] ?? 'card'),
        });
      }
    });
    records.push({ ...common(second), kind: 'device-check', phase: 'end', devices });
    records.push({ ...common(lead), kind: 'visit-ended' });
  }
  return records;
}

export async function fieldkitFixture(sql?: Sql): Promise<FieldkitFixture> {
  const fixture = await buildTestApp(definition, { http: { rateLimit: false }, ...(sql ? { sql } : {}) });
  const kitId = uuidv7();
  const kitToken = () => fixture.auth('kit-device', TENANT, 'kit-session-1', kitId);
  let visits = 0;
  const head = async () =>
    Number(
      (await fixture.sql.query<{ head: number | string | null }>('select max(position) as head from es_events'))[0]
        ?.head ?? 0,
    );
  // The store's followers (read models, key cache, relay) report positions in the store; bus consumers report none.
  const storeFollowers = () => fixture.app.processors.list().filter((watched) => !watched.name.startsWith('consumer:'));
  return {
    fixture,
    kitId,
    kitToken,
    async seedVisits(count, plan) {
      const seeded: SeededVisit[] = [];
      for (let i = 0; i < count; i++) {
        const visit = assignedEvents(kitId, visits++, plan);
        await fixture.store.append(visit.stream, [...visit.events], 'no-stream');
        seeded.push(visit);
      }
      return seeded;
    },
    async sync(items) {
      const response = await fixture.app.inject({
        method: 'POST',
        url: `/kits/${kitId}/sync`,
        headers: await kitToken(),
        payload: { items },
      });
      if (response.statusCode !== 200)
        throw new Error(`POST /kits/${kitId}/sync: ${response.statusCode} ${response.body}`);
      return response.json<SyncResponse>();
    },
    async settled(timeoutMs = 60_000) {
      const target = await head();
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const behind = storeFollowers().filter((watched) => watched.status().position < target);
        if (behind.length === 0) return;
        if (Date.now() > deadline)
          throw new Error(
            `not settled after ${timeoutMs} ms at ${target}: ${behind.map((w) => `${w.name} ${w.status().position}`).join(', ')}`,
          );
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
    },
    close: () => fixture.close(),
  };
}
