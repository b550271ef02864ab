import type { z } from 'zod';
import type { address } from '../cases/case.events.ts';
import type { institutionContact, institutionKind } from './institution.events.ts';

export type InstitutionCommand =
  | {
      readonly type: 'RegisterInstitution';
      readonly institutionId: string;
      readonly name: string;
      readonly kind: z.infer<typeof institutionKind>;
      readonly address: z.infer<typeof address>;
      readonly contact: z.infer<typeof institutionContact>;
      readonly now: string;
    }
  | {
      readonly type: 'RequestGroupAppointment';
      readonly institutionId: string;
      readonly groupRequestId: string;
      readonly caseIds: readonly string[];
      readonly preferredDates: readonly string[];
      readonly now: string;
    };
