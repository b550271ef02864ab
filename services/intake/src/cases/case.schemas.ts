/**
 * Request schemas that more than one route of intake takes: an applicant as a caller states them, an address, the
 * mobility claims, a contact person and a list of requested services (the routes for individuals,
 * cases/case.routes.ts, and for group requests, institutions/institution.routes.ts). Stricter than the events'
 * schemas (case.events.ts), which must go on reading what was stored before: these refuse what cannot be true.
 */
import {
  birthDate,
  disabilityMarks,
  personName,
  phoneNumber,
  properName,
  singleLineText,
  uniqueList,
} from '@buergerkoffer/shared/contracts';
import { z } from 'zod';
import { relation, serviceId } from './case.events.ts';

export const uniqueServices = uniqueList(serviceId, { min: 1, max: 9 });

export const addressInput = z.strictObject({
  street: properName(200),
  houseNumber: singleLineText(20),
  postalCode: z.string().regex(/^\d{5}$/, 'a 5-digit German postal code'),
  city: properName(100),
  addition: singleLineText(100).optional(),
});

/** Claims as stated: care level 0–5 or none, each mark of the closed list at most once, permanently homebound. */
export const mobilityInput = z.strictObject({
  careLevel: z.number().int().min(0).max(5).nullable(),
  disabilityMarks,
  permanentlyHomebound: z.boolean(),
});

export const contactPersonInput = z.strictObject({
  name: personName,
  relation,
  phone: phoneNumber.optional(),
  email: z.email().max(200).optional(),
});

/**
 * The applicant is the beneficiary of every service: no field could name anyone else's matters (strict objects).
 * `now` is the service's clock: a birth date after its day is refused.
 */
export const applicantInput = (now: () => Date) =>
  z.strictObject({
    givenNames: personName,
    familyName: personName,
    birthDate: birthDate(now),
    address: addressInput,
    phone: phoneNumber.optional(),
    email: z.email().max(200).optional(),
  });
