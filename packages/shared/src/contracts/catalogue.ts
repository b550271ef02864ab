/**
 * The services the mobile office offers on site (domain.md, "the catalogue"): stable ids, the kit devices each needs,
 * what the citizen brings, typical minutes. Published reference data: the ids cross services in integration events
 * and rule sets; intake shows the catalogue, scheduling plans a visit's length and its kit's devices from it.
 */
export const SERVICE_IDS = [
  'id-card',
  'passport',
  'provisional-id',
  'eid-update',
  'registration',
  'conduct-certificate',
  'certified-copy',
  'registration-certificate',
  'life-certificate',
] as const;
export type ServiceId = (typeof SERVICE_IDS)[number];

/** The devices of a kit (domain.md): a service can be given only where every device it needs works. */
export const KIT_DEVICES = [
  'notebook',
  'printer',
  'scanner',
  'fingerprint-sensor',
  'signature-pad',
  'camera',
  'lte-router',
  'change-terminal',
] as const;
export type KitDevice = (typeof KIT_DEVICES)[number];

export interface CatalogueEntry {
  readonly id: ServiceId;
  readonly name: string;
  readonly needs: readonly KitDevice[];
  readonly citizenBrings: string;
  readonly typicalMinutes: readonly [number, number];
}

export const CATALOGUE: Readonly<Record<ServiceId, CatalogueEntry>> = {
  'id-card': {
    id: 'id-card',
    name: 'Personalausweis (ID card) application',
    needs: ['camera', 'fingerprint-sensor', 'signature-pad', 'printer'],
    citizenBrings: 'old ID or birth certificate',
    typicalMinutes: [15, 20],
  },
  passport: {
    id: 'passport',
    name: 'Reisepass (passport) application',
    needs: ['camera', 'fingerprint-sensor', 'signature-pad', 'printer'],
    citizenBrings: 'old passport or ID',
    typicalMinutes: [15, 20],
  },
  'provisional-id': {
    id: 'provisional-id',
    name: 'provisional ID printed on the spot (valid ≤ 3 months)',
    needs: ['printer'],
    citizenBrings: 'as for the ID card; an urgent need',
    typicalMinutes: [15, 20],
  },
  'eid-update': {
    id: 'eid-update',
    name: 'address on chip, eID on/off, PIN',
    needs: ['change-terminal'],
    citizenBrings: 'ID card',
    typicalMinutes: [10, 10],
  },
  registration: {
    id: 'registration',
    name: 'An-, Ab- or Ummeldung (registering a move)',
    needs: ['notebook', 'printer', 'change-terminal'],
    citizenBrings: "landlord's confirmation (Wohnungsgeberbestätigung), ID",
    typicalMinutes: [10, 15],
  },
  'conduct-certificate': {
    id: 'conduct-certificate',
    name: 'Führungszeugnis (certificate of conduct) application',
    needs: ['notebook', 'signature-pad'],
    citizenBrings: 'ID; purpose or receiving authority',
    typicalMinutes: [10, 10],
  },
  'certified-copy': {
    id: 'certified-copy',
    name: 'Beglaubigung (certified copy), not of civil-status certificates',
    needs: ['scanner', 'printer'],
    citizenBrings: 'the original',
    typicalMinutes: [5, 5],
  },
  'registration-certificate': {
    id: 'registration-certificate',
    name: 'Meldebescheinigung (registration certificate)',
    needs: ['printer'],
    citizenBrings: 'ID',
    typicalMinutes: [5, 5],
  },
  'life-certificate': {
    id: 'life-certificate',
    name: 'Lebensbescheinigung (life certificate)',
    needs: ['printer'],
    citizenBrings: "ID, the pension body's form",
    typicalMinutes: [5, 5],
  },
};

export const isServiceId = (value: string): value is ServiceId => SERVICE_IDS.some((id) => id === value);
