import { DeciderSpecification } from '@buergerkoffer/shared/testing';
import { describe, it } from 'vitest';
import { institutionDecider } from './institution.decider.ts';
import { InstitutionAlreadyRegistered, InstitutionNotFound } from './institution.errors.ts';
import type { InstitutionEvent } from './institution.events.ts';

const spec = DeciderSpecification.for(institutionDecider);
const institutionId = '0192f0c4-7c1a-7000-8000-000000000001';
const groupRequestId = '0192f0c4-7c1a-7000-8000-000000000002';
const caseIds = ['0192f0c4-7c1a-7000-8000-000000000003', '0192f0c4-7c1a-7000-8000-000000000004'];
const now = '2026-11-25T10:00:00.000Z';
const register = {
  type: 'RegisterInstitution' as const,
  institutionId,
  name: 'Haus am Park',
  kind: 'care-home' as const,
  address: { street: 'Parkweg', houseNumber: '1', postalCode: '44787', city: 'Bochum' },
  contact: { name: 'Frau Heim', phone: '+49 234 222' },
  now,
};
const registered: InstitutionEvent = {
  type: 'InstitutionRegistered',
  data: {
    institutionId,
    name: 'Haus am Park',
    kind: 'care-home',
    address: register.address,
    contact: register.contact,
    registeredAt: now,
  },
};
const request = {
  type: 'RequestGroupAppointment' as const,
  institutionId,
  groupRequestId,
  caseIds,
  preferredDates: ['2026-12-03'],
  now,
};
const requested: InstitutionEvent = {
  type: 'GroupRequested',
  data: { groupRequestId, institutionId, caseIds, preferredDates: ['2026-12-03'], requestedAt: now },
};

describe('an institution', () => {
  describe('not yet registered', () => {
    it('is registered', () => spec.given([]).when(register).then([registered]));
    it('cannot request a group appointment', () => spec.given([]).when(request).thenThrows(InstitutionNotFound));
  });
  describe('registered', () => {
    it('is not registered twice', () =>
      spec.given([registered]).when(register).thenThrows(InstitutionAlreadyRegistered));
    it('records a group request with one case per resident', () =>
      spec.given([registered]).when(request).then([requested]));
    it('records the same group request once', () => spec.given([registered, requested]).when(request).then([]));
  });
});
