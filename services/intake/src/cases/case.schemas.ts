/**
 * Request schemas that more than one route of intake takes: an applicant as a caller states them, and a list of
 * requested services (the routes for individuals, cases/case.routes.ts, and for group requests,
 * institutions/institution.routes.ts).
 */
import { z } from 'zod';
import { address, serviceId } from './case.events.ts';

export const uniqueServices = z
  .array(serviceId)
  .min(1)
  .max(9)
  .superRefine((ids, context) => {
    ids.forEach((id, index) => {
      if (ids.indexOf(id) !== index)
        context.addIssue({ code: 'custom', path: [index], message: `${id} is requested twice` });
    });
  });

/** The applicant is the beneficiary of every service: no field could name anyone else's matters (strict objects). */
export const applicantInput = z.strictObject({
  givenNames: z.string().trim().min(1).max(200),
  familyName: z.string().trim().min(1).max(200),
  birthDate: z.iso.date(),
  address: address.strict(),
  phone: z.string().min(3).max(40).optional(),
  email: z.email().max(200).optional(),
});
