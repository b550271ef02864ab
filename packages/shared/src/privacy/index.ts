export { ERASED, isSealed, parseMasterKey, type SealedValue, seal, UNREADABLE, unseal } from './crypto.ts';
export { type KeyStore, PostgresKeyStore, SubjectErasedError, type SubjectRef, subjectKey } from './key-store.ts';
export type { OpenOnly, PersonalDataPolicy, PersonalFieldRule } from './personal-data-policy.ts';
export { PersonalDataProtector } from './personal-data-protector.ts';
export { PersonalDataStore } from './personal-data-store.ts';
