/**
 * The one disclosure policy: which role sees which kind of personal data, for which purpose (GDPR Art. 5(1)(b)
 * purpose limitation, 5(1)(c) data minimisation, Art. 9 for health data). Every read of personal data by any service
 * — intake's case view, eligibility's assessment, casefile's history, state, export and feeds, and what scheduling and
 * fieldkit will show — decides through `disclosureFor`, and shows a field it may not as "[withheld]" (the value is
 * never decrypted).
 *
 * Kinds: a sealed field's kind is named by its last path segment (`applicant.familyName` → identity), which is how
 * the services' personal-data policies name them; a sealed field of a name no kind lists is `restricted` (auditors and
 * admins only), so a new personal field is private until someone decides otherwise. Values some events hold in clear
 * — stored before their fields were sealed, or not personal alone but revealing in context (which rule passed) — are
 * listed per event type in CLEAR_PERSONAL_PATHS and withheld by kind as well.
 */
import type { Role } from '../http/auth.ts';

export const DATA_KINDS = [
  /** Names: who the case is about. */
  'identity',
  'birth-date',
  /** The home address: where the visit goes. */
  'address',
  /** Phone, e-mail, the contact person, an institution's contact. */
  'contact',
  /** Mobility claims (care level, disability marks, homebound), the pre-check's rules and outcome, the kind of
   *  institution one lives in: special-category data (Art. 9). */
  'health',
  /** Free text staff wrote about the case (reasons, overrides, missing evidence, document references): it may
   *  describe health ("bettlägerig seit 10/2026"), so it is disclosed like health data, to those who decide on it. */
  'case-notes',
  /** Who read a case, why: for auditors and admins. */
  'access-log',
  /** The institution a resident lives in (name): with the address, where someone lives. */
  'institution',
  /** A sealed field no kind lists yet. */
  'restricted',
] as const;
export type DataKind = (typeof DATA_KINDS)[number];

export const PURPOSES = [
  /** Working on the case in one's role (the default for staff roles). */
  'case-work',
  /** Checking that the case was handled lawfully (auditors). */
  'audit',
  /** Handling a complaint about the case. */
  'complaint',
  /** Answering a data subject's request for access (Art. 15) or erasure (Art. 17). */
  'subject-request',
  /** Establishing, exercising or defending legal claims (Art. 17(3)(e)). */
  'legal-claim',
  /** The data protection officer's review of a processing operation (Art. 39). */
  'data-protection-review',
] as const;
export type Purpose = (typeof PURPOSES)[number];

const ALL: readonly DataKind[] = DATA_KINDS;
const OVERSIGHT = { audit: ALL, complaint: ALL, 'legal-claim': ALL, 'data-protection-review': ALL } as const;

/**
 * Role × purpose → the kinds of personal data that role's work for that purpose needs. A purpose a role does not
 * list is refused for it (403); an auditor or admin reads only under a purpose they state.
 */
export const DISCLOSURE_POLICY: Readonly<Record<Role, Partial<Record<Purpose, readonly DataKind[]>>>> = {
  // Takes the application and calls back: who it is and how to reach them — not their health or home; takes the
  // institutions' group requests.
  'intake-agent': { 'case-work': ['identity', 'contact', 'institution'] },
  // Decides on necessity from the mobility claims and writes the reasons; needs no address or contact data for it.
  'eligibility-officer': { 'case-work': ['identity', 'health', 'case-notes'] },
  // Plans the visit: who, where, how to reach them.
  scheduler: { 'case-work': ['identity', 'address', 'contact', 'institution'] },
  // At the door: who (birth date to check identity), where, how to reach them.
  'field-officer': { 'case-work': ['identity', 'birth-date', 'address', 'contact', 'institution'] },
  auditor: OVERSIGHT,
  admin: { 'subject-request': ALL, 'legal-claim': ALL, 'data-protection-review': ALL },
  // The kit's session on site (field officers act through it): the day's manifest — who is at the door (birth date
  // to check identity) and where. Not their health: the visit is already decided.
  'kit-device': { 'case-work': ['identity', 'birth-date', 'address', 'institution'] },
};

/** The default purpose of a role that need not state one: staff working on their cases. */
export const DEFAULT_PURPOSE: Purpose = 'case-work';

/** What a caller may see: the kinds (or every kind) for the purpose they read under. */
export interface Disclosure {
  readonly purpose: Purpose;
  readonly kinds: ReadonlySet<DataKind>;
  /** Whether every kind is disclosed: the read of everything about someone. */
  readonly all: boolean;
}

export class DisclosureRefusedError extends Error {
  readonly code = 'purpose-not-permitted';
  readonly roles: readonly Role[];
  readonly purpose: Purpose;
  constructor(roles: readonly Role[], purpose: Purpose) {
    super(`no role of the caller (${roles.join(', ')}) may read personal data for the purpose "${purpose}"`);
    this.name = 'DisclosureRefusedError';
    this.roles = roles;
    this.purpose = purpose;
  }
}

/** Whether any of these roles must state a purpose (it has no default one): auditors and admins. */
export const mustStatePurpose = (roles: readonly Role[]): boolean =>
  !roles.some((role) => DISCLOSURE_POLICY[role][DEFAULT_PURPOSE] !== undefined);

/**
 * The kinds of personal data a caller with `roles` may see for `purpose` (the union over their roles that permit
 * it). Throws DisclosureRefusedError when none of their roles permits the purpose.
 */
export function disclosureFor(roles: readonly Role[], purpose: Purpose = DEFAULT_PURPOSE): Disclosure {
  const kinds = new Set<DataKind>();
  let permitted = false;
  for (const role of roles) {
    const granted = DISCLOSURE_POLICY[role][purpose];
    if (!granted) continue;
    permitted = true;
    for (const kind of granted) kinds.add(kind);
  }
  if (!permitted) throw new DisclosureRefusedError(roles, purpose);
  return { purpose, kinds, all: DATA_KINDS.every((kind) => kinds.has(kind)) };
}

/** A disclosure of nothing personal: what a reader sees that no case's access log could record (the tenant feed). */
export const NOTHING: Disclosure = { purpose: DEFAULT_PURPOSE, kinds: new Set(), all: false };

/** The kind of a sealed field, by the last segment of its path that is not an array index. */
const KIND_OF_FIELD: Readonly<Record<string, DataKind>> = {
  givenNames: 'identity',
  familyName: 'identity',
  birthDate: 'birth-date',
  address: 'address',
  phone: 'contact',
  email: 'contact',
  contactPerson: 'contact',
  contact: 'contact',
  mobility: 'health',
  institutionKind: 'health',
  outcome: 'health',
  rules: 'health',
  reason: 'case-notes',
  override: 'case-notes',
  missing: 'case-notes',
  documentReference: 'case-notes',
};

export const kindOfPath = (path: string): DataKind => {
  const last =
    path
      .split('.')
      .filter((segment) => !/^\d+$/.test(segment))
      .at(-1) ?? '';
  return KIND_OF_FIELD[last] ?? 'restricted';
};

/**
 * Personal data some events hold in clear, by event type: paths (`*` for any array index) and their kind. Events
 * stored before their services sealed these fields keep them in clear; they are withheld here just the same. Which
 * rules of the pre-check passed reveals the care level and marks against the public rule set: health data.
 */
export const CLEAR_PERSONAL_PATHS: Readonly<Record<string, Readonly<Record<string, DataKind>>>> = {
  AssessmentPrechecked: {
    'precheck.outcome': 'health',
    'precheck.rules.*.passed': 'health',
    'precheck.rules.*.detail': 'health',
    'input.institutionKind': 'health',
  },
  EvidenceRequested: { missing: 'case-notes' },
  NecessityConfirmed: { reason: 'case-notes', override: 'case-notes' },
  CaseRejected: { reason: 'case-notes' },
  AssessmentReopened: { reason: 'case-notes' },
  AssessmentClosed: { reason: 'case-notes' },
  // Which institution a resident lives in: with the institution's kind (a care home, a hospital), where and how.
  CaseOpened: { institutionKind: 'health', institutionId: 'institution', groupRequestId: 'institution' },
  CaseWithdrawn: { reason: 'case-notes' },
  // The kind of evidence says what the applicant has: a disability card, a care-level notice, a medical certificate.
  EvidenceAttached: { documentReference: 'case-notes', kind: 'health' },
  InstitutionRegistered: { name: 'institution', kind: 'institution' },
  CaseRecordAccessed: { purpose: 'access-log', reference: 'access-log', query: 'access-log' },
  // Why a subject's data is held or was erased, and under which file: for those who oversee it.
  LegalHoldPlaced: { ground: 'access-log', reference: 'access-log' },
  LegalHoldLifted: { reference: 'access-log' },
  SubjectErased: { ground: 'access-log', reference: 'access-log' },
  // Where a visit goes: the institution a resident lives in, as for the case; the address is sealed (and withheld
  // by kind should it ever be stored in clear).
  VisitBookingStarted: {
    'place.institutionId': 'institution',
    'place.address': 'address',
    groupRequestId: 'institution',
  },
};
