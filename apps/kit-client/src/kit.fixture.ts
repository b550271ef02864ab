/** Test data shared by the kit client's specs: a kit, a visit of a pulled manifest, its staff and a case. */
import type { Manifest } from '@buergerkoffer/shared/contracts';

export const KIT = '0190a5d0-0000-7000-8000-0000000000a1';
export const VISIT = '0190a5d0-0000-7000-8000-0000000000b1';
export const STAFF = '0190a5d0-0000-7000-8000-0000000000c1';
export const CASE = '0190a5d0-0000-7000-8000-0000000000d1';

export const manifestOf = (date: string, version: string, visitVersion: number): Manifest => ({
  kitId: KIT,
  date,
  version,
  visits: [
    {
      visitId: VISIT,
      version: visitVersion,
      status: 'planned',
      start: `${date}T09:00:00+02:00`,
      end: `${date}T09:40:00+02:00`,
      groupVisit: false,
      staffIds: [STAFF],
      participants: [
        {
          caseId: CASE,
          reference: 'BK-2026-0042',
          givenNames: 'Erika',
          familyName: 'Mustermann',
          birthDate: '1941-08-12',
          address: 'Heinrichstraße 7, 44787 Bochum',
          services: [
            {
              service: 'id-card',
              name: 'Personalausweis (ID card) application',
              citizenBrings: 'old ID',
              devices: ['camera'],
              expectedFeeCents: 3700,
            },
          ],
        },
      ],
      devicesNeeded: ['camera'],
    },
  ],
});

export const DEVICE = 'bk-test-nb';
export const DAY = '2026-06-03';

/** The record lines `record --jsonl` takes: a visit's start, `services` outcomes, its end. */
export const recordLines = (services: number): Record<string, unknown>[] => [
  { kind: 'visit-started', visitId: VISIT, recordedBy: STAFF },
  ...Array.from({ length: services }, (_, i) => ({
    kind: 'service-completed',
    visitId: VISIT,
    recordedBy: STAFF,
    caseId: CASE,
    service: 'certified-copy',
    feeCents: i,
    paymentMethod: 'cash',
  })),
  { kind: 'visit-ended', visitId: VISIT, recordedBy: STAFF },
];

/** The environment of a kit client process: nothing of the test runner's KIT_* variables, then these. */
export const kitEnv = (vars: Record<string, string>): Record<string, string> => ({
  ...Object.fromEntries(
    Object.entries(process.env).filter(
      (entry): entry is [string, string] => entry[1] !== undefined && !entry[0].startsWith('KIT_'),
    ),
  ),
  KIT_ID: KIT,
  KIT_DEVICE_ID: DEVICE,
  ...vars,
});
