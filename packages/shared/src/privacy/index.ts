export { ERASED, isSealed, parseMasterKey, type SealedValue, seal, UNREADABLE, unseal } from './crypto.ts';
export { type KeyStore, PostgresKeyStore, SubjectErasedError } from './key-store.ts';
export {
  type PersonalDataPolicy,
  PersonalDataProtector,
  PersonalDataStore,
  type PersonalFieldRule,
} from './personal-data-store.ts';
