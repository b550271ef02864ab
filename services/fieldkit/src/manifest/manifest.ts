/**
 * A kit's manifest for a day: its visits in order, each with its manifest version, and per participant what the
 * team needs on site — opened through the one disclosure policy for the caller's role (the kit's session sees
 * identity, birth date and address; never health) and the read recorded in each participant case's access log —
 * with the services, the documents to bring, the devices needed and the fee expected.
 *
 * The manifest's version (its ETag) is a hash of each visit's version and each participant record's revision, so it
 * is known before anything is opened: a kit asking with If-None-Match gets 304 without a decryption or a logged read.
 */
import { createHash } from 'node:crypto';
import { CATALOGUE, type KitDevice, type Manifest, type ServiceId } from '@buergerkoffer/shared/contracts';
import type { EventStore, Sql, StoredEvent } from '@buergerkoffer/shared/event-sourcing';
import { type Disclosure, disclose, type PersonalDataProtector, WITHHELD } from '@buergerkoffer/shared/privacy';
import { toParticipantStreamName } from '../participants/participant.ts';
import { participantsAt } from '../visits/field-visit.decider.ts';
import type { FieldVisitRow } from '../visits/field-visit.projections.ts';

/**
 * Standard fees in cents (domain.md), the reduced one under 24 where there is one; null where the city sets it.
 * Fees per tenant, versioned and date-effective, replace this table (issue 16).
 */
const STANDARD_FEES: Readonly<Record<ServiceId, { readonly cents: number | null; readonly under24?: number }>> = {
  'id-card': { cents: 3700, under24: 2280 },
  passport: { cents: 7000, under24: 3750 },
  'provisional-id': { cents: 1000 },
  'eid-update': { cents: null },
  registration: { cents: null },
  'conduct-certificate': { cents: 1300 },
  'certified-copy': { cents: null },
  'registration-certificate': { cents: 500 },
  'life-certificate': { cents: null },
};

/** Whole years between a birth date and a day (both YYYY-MM-DD). */
const ageOn = (birthDate: string, day: string): number => {
  const [by, bm, bd] = birthDate.split('-').map(Number);
  const [y, m, d] = day.split('-').map(Number);
  if (!by || !bm || !bd || !y || !m || !d) return Number.NaN;
  return y - by - (m < bm || (m === bm && d < bd) ? 1 : 0);
};

export function expectedFeeCents(service: ServiceId, birthDate: string | undefined, day: string): number | null {
  const fee = STANDARD_FEES[service];
  if (fee.under24 !== undefined && birthDate && ageOn(birthDate, day) < 24) return fee.under24;
  return fee.cents;
}

export interface ManifestDeps {
  readonly sealedStore: EventStore;
  readonly sql: Sql;
  readonly protector: PersonalDataProtector;
}

export interface ManifestPlan {
  readonly version: string;
  readonly visits: readonly FieldVisitRow[];
  /** Each participant's record as stored (sealed), by case. */
  readonly participants: ReadonlyMap<string, StoredEvent | undefined>;
}

/** The day's visits and participant records, and the version they make — nothing opened yet. */
export async function planManifest(
  deps: ManifestDeps,
  tenantId: string,
  kitId: string,
  day: string,
): Promise<ManifestPlan> {
  const visits = await deps.sql.query<FieldVisitRow>(
    `select * from fieldkit_visits where tenant_id = $1 and kit_id = $2 and day = $3 and status = 'planned'
      order by start_at, visit_id`,
    [tenantId, kitId, day],
  );
  const caseIds = [...new Set(visits.flatMap((v) => participantsAt(v.state, v.state.version).map((p) => p.caseId)))];
  const records = await Promise.all(
    caseIds.map(async (caseId) => {
      const [last] = await deps.sealedStore.readStream(toParticipantStreamName(caseId), {
        direction: 'backwards',
        limit: 1,
      });
      return [caseId, last?.metadata.tenantId === tenantId ? last : undefined] as const;
    }),
  );
  const hash = createHash('sha256').update(`${kitId}\u001f${day}`);
  for (const visit of visits) hash.update(`\u001e${visit.visit_id}:${visit.state.version}`);
  for (const [caseId, record] of records) hash.update(`\u001e${caseId}:${record?.revision ?? -1}`);
  return { version: `m1-${hash.digest('hex').slice(0, 32)}`, visits, participants: new Map(records) };
}

const str = (value: unknown): string => (typeof value === 'string' ? value : WITHHELD);

/** The manifest as the disclosure shows it (every participant's record opened only as far as it allows). */
export async function renderManifest(
  deps: ManifestDeps,
  plan: ManifestPlan,
  kitId: string,
  day: string,
  disclosure: Disclosure,
): Promise<Manifest> {
  const people = new Map<string, Record<string, unknown> | undefined>();
  for (const [caseId, record] of plan.participants) {
    people.set(
      caseId,
      record ? ((await disclose(deps.protector, record, disclosure)) as Record<string, unknown>) : undefined,
    );
  }
  return {
    kitId,
    date: day,
    version: plan.version,
    visits: plan.visits.map(({ state }) => {
      const participants = participantsAt(state, state.version).map((p) => {
        const data = people.get(p.caseId);
        const applicant = (data?.applicant ?? {}) as Record<string, unknown>;
        const birthDate = typeof applicant.birthDate === 'string' ? applicant.birthDate : undefined;
        const address = applicant.address;
        return {
          caseId: p.caseId,
          reference: typeof data?.reference === 'string' ? data.reference : WITHHELD,
          givenNames: str(applicant.givenNames),
          familyName: str(applicant.familyName),
          birthDate: str(applicant.birthDate),
          address:
            address !== null && typeof address === 'object' && !Array.isArray(address)
              ? (address as Record<string, string>)
              : str(address),
          services: p.services.map((service) => ({
            service,
            name: CATALOGUE[service].name,
            citizenBrings: CATALOGUE[service].citizenBrings,
            devices: [...CATALOGUE[service].needs],
            expectedFeeCents: expectedFeeCents(service, birthDate, day),
          })),
        };
      });
      const devices = new Set<KitDevice>(participants.flatMap((p) => p.services.flatMap((s) => s.devices)));
      return {
        visitId: state.visitId,
        version: state.version,
        status: 'planned' as const,
        start: state.start,
        end: state.end,
        groupVisit: state.groupVisit,
        staffIds: [...state.staffIds],
        participants,
        devicesNeeded: [...devices].sort(),
      };
    }),
  };
}
