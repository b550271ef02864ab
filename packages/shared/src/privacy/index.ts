export {
  ACCESS_LOG_CATEGORY,
  type AccessLog,
  type AccessRecord,
  accessLog,
  accessLogStream,
  CASE_RECORD_ACCESSED,
} from './access-log.ts';
export { ERASED, isSealed, parseMasterKey, type SealedValue, seal, UNREADABLE, unseal } from './crypto.ts';
export { disclose, sees, WITHHELD, withhold, withholdPath } from './disclose.ts';
export {
  CLEAR_PERSONAL_PATHS,
  DATA_KINDS,
  type DataKind,
  DEFAULT_PURPOSE,
  DISCLOSURE_POLICY,
  type Disclosure,
  DisclosureRefusedError,
  disclosureFor,
  kindOfPath,
  mustStatePurpose,
  NOTHING,
  PURPOSES,
  type Purpose,
} from './disclosure-policy.ts';
export { type Erasure, type ErasureFollowerOptions, followErasures } from './erasure-follower.ts';
export { type KeyStore, PostgresKeyStore, SubjectErasedError, type SubjectRef, subjectKey } from './key-store.ts';
export type { OpenOnly, PersonalDataPolicy, PersonalFieldRule } from './personal-data-policy.ts';
export { PersonalDataProtector } from './personal-data-protector.ts';
export { PersonalDataStore } from './personal-data-store.ts';
export {
  admitPersonalRead,
  caseWorkDisclosure,
  disclosureOf,
  type PurposeQuery,
  purposeQuery,
  readingRole,
  recordRead,
} from './personal-read.ts';
