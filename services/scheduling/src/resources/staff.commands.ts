import type { WorkingHours } from './working-hours.ts';

export type StaffCommand =
  | {
      readonly type: 'RegisterStaffMember';
      readonly staffId: string;
      readonly displayName: string;
      readonly homeOffice: string;
      readonly workingHours: WorkingHours;
      readonly now: string;
    }
  | {
      readonly type: 'ChangeWorkingHours';
      readonly staffId: string;
      readonly workingHours: WorkingHours;
      readonly now: string;
    }
  | {
      readonly type: 'RecordAbsence';
      readonly staffId: string;
      readonly absenceId: string;
      /** Local dates (yyyy-mm-dd), both included. */
      readonly from: string;
      readonly to: string;
      readonly now: string;
    }
  | { readonly type: 'CancelAbsence'; readonly staffId: string; readonly absenceId: string; readonly now: string }
  | { readonly type: 'DeactivateStaffMember'; readonly staffId: string; readonly now: string };
