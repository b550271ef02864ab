/** Request bodies of intake's routes, as a caller sends them: one applicant, one case, one care home. */
export const address = { street: 'Hauptstraße', houseNumber: '5', postalCode: '44787', city: 'Bochum' };
export const applicant = { givenNames: 'Erika', familyName: 'Mustermann', birthDate: '1941-03-12', address };
export const openCaseBody = {
  applicant,
  requestedServices: ['id-card'],
  mobility: { careLevel: 4, disabilityMarks: [], permanentlyHomebound: true },
  channel: 'phone-115',
};
export const institutionBody = {
  name: 'Haus am Park',
  kind: 'care-home',
  address,
  contact: { name: 'Frau Heim', phone: '+49 234 222' },
};
