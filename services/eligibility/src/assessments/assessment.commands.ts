import type { PrecheckInputData, PrecheckResult } from './assessment.events.ts';

export type AssessmentCommand =
  | {
      readonly type: 'RecordPrecheck';
      readonly caseId: string;
      readonly applicantSubjectId?: string | undefined;
      readonly input: PrecheckInputData;
      readonly precheck: PrecheckResult;
      readonly now: string;
    }
  | {
      readonly type: 'DecideNecessity';
      readonly caseId: string;
      readonly outcome: 'approve' | 'reject' | 'request-evidence';
      readonly reason?: string | undefined;
      readonly override?: string | undefined;
      readonly decidedBy: string;
      readonly now: string;
    }
  | { readonly type: 'CloseAssessment'; readonly caseId: string; readonly reason: string; readonly now: string };
