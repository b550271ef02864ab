import type { Applicant, ContactPerson, Mobility, ServiceIdType } from './case.events.ts';

/** Requests to the intake case; time, ids and reference numbers come in with the command (deciders are pure). */
export type CaseCommand =
  | {
      readonly type: 'OpenCase';
      readonly caseId: string;
      readonly reference: string;
      readonly applicant: Applicant;
      readonly requestedServices: readonly ServiceIdType[];
      readonly mobility: Mobility;
      readonly channel: 'phone-115' | 'email' | 'institution' | 'counter';
      readonly contactPerson?: ContactPerson | undefined;
      readonly groupRequestId?: string | undefined;
      readonly institutionId?: string | undefined;
      readonly institutionKind?: 'care-home' | 'assisted-living' | 'hospital' | 'prison' | 'other' | undefined;
      readonly possibleDuplicateOf: readonly string[];
      readonly now: string;
    }
  | {
      readonly type: 'ChangeServices';
      readonly caseId: string;
      readonly add: readonly ServiceIdType[];
      readonly remove: readonly ServiceIdType[];
      readonly now: string;
    }
  | {
      readonly type: 'AttachEvidence';
      readonly caseId: string;
      readonly evidenceId: string;
      readonly kind: 'care-level-notice' | 'disability-card' | 'medical-certificate' | 'other';
      readonly documentReference: string;
      readonly checksum: string;
      readonly now: string;
    }
  | {
      readonly type: 'UpdateContactPerson';
      readonly caseId: string;
      readonly contactPerson: ContactPerson | null;
      readonly now: string;
    }
  | { readonly type: 'WithdrawCase'; readonly caseId: string; readonly reason: string; readonly now: string };
