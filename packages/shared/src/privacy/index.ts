export { ERASED, isSealed, parseMasterKey, type SealedValue, seal, UNREADABLE, unseal } from './crypto.ts';
export { type KeyStore, PostgresKeyStore, SubjectErasedError, type SubjectRef, subjectKey } from './key-store.ts';
export {
  type OpenOnly,
  type PersonalDataPolicy,
  PersonalDataProtector,
  PersonalDataStore,
  type PersonalFieldRule,
} from './personal-data-store.ts';
