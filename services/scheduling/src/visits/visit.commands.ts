import type { TakenRef } from '../calendars/calendar.events.ts';
import type { Allocation, Participant, Place } from './visit.events.ts';

/** A new allocation as the caller asks for it: the hold id is the decider's (one per allocation). */
export type RequestedAllocation = Omit<Allocation, 'holdId'>;

export type VisitCommand =
  | (RequestedAllocation & {
      readonly type: 'StartBooking';
      readonly visitId: string;
      readonly participants: readonly Participant[];
      readonly place: Place;
      readonly placeSubjectId?: string | undefined;
      readonly groupRequestId?: string | undefined;
      readonly requiredDevices: readonly string[];
      readonly by: string;
      readonly now: string;
    })
  | { readonly type: 'CompleteBooking'; readonly visitId: string; readonly holdId: string; readonly now: string }
  | {
      readonly type: 'RefuseBooking';
      readonly visitId: string;
      readonly holdId: string;
      readonly resource: TakenRef;
      readonly now: string;
    }
  | (RequestedAllocation & {
      readonly type: 'StartReschedule';
      readonly visitId: string;
      readonly by: string;
      readonly now: string;
    })
  | { readonly type: 'CompleteReschedule'; readonly visitId: string; readonly holdId: string; readonly now: string }
  | {
      readonly type: 'RefuseReschedule';
      readonly visitId: string;
      readonly holdId: string;
      readonly resource: TakenRef;
      readonly now: string;
    }
  | {
      readonly type: 'Confirm';
      readonly visitId: string;
      readonly confirmedBy: 'citizen' | 'institution' | 'contact-person';
      readonly by: string;
      readonly now: string;
    }
  | {
      readonly type: 'Cancel';
      readonly visitId: string;
      readonly reason:
        | 'citizen-request'
        | 'institution-request'
        | 'staff-unavailable'
        | 'kit-unavailable'
        | 'no-participants'
        | 'other';
      readonly by: string;
      readonly now: string;
    }
  | {
      readonly type: 'RemoveParticipant';
      readonly visitId: string;
      readonly caseId: string;
      readonly reason: 'case-withdrawn' | 'case-rejected' | 'scheduler';
      readonly by: string;
      readonly now: string;
    }
  | {
      readonly type: 'FlagForRescheduling';
      readonly visitId: string;
      readonly reason: 'device-faulty' | 'kit-withdrawn' | 'staff-absent' | 'staff-deactivated';
      readonly kitId?: string | undefined;
      readonly device?: string | undefined;
      readonly staffId?: string | undefined;
      readonly now: string;
    };
