export { type AuditConformance, type AuditEvent, auditEvent } from './audit.ts';
export { SERVICE_IDS, type ServiceId } from './catalogue.ts';
export {
  type ContractRegistry,
  ContractViolation,
  conformingData,
  fromKafkaRecord,
  type IntegrationEvent,
  JSON_CONTENT_TYPE,
  type KafkaRecord,
  type Publishable,
  SPEC_VERSION,
  toKafkaRecord,
} from './cloudevents.ts';
export { DISABILITY_MARKS, type DisabilityMark, disabilityMark, disabilityMarks } from './disability-marks.ts';
export {
  ELIGIBILITY_ASSESSMENT_TOPIC,
  ELIGIBILITY_SOURCE,
  eligibilityApprovedV1,
  eligibilityApprovedV2,
  eligibilityAssessmentContracts,
  eligibilityAssessmentContractsV2,
  eligibilityEvidenceRequestedV1,
  eligibilityEvidenceRequestedV2,
  eligibilityPrecheckedV1,
  eligibilityPrecheckedV2,
  eligibilityRejectedV1,
  eligibilityRejectedV2,
} from './eligibility.ts';
export {
  INTAKE_CASE_TOPIC,
  INTAKE_SOURCE,
  type IntakeCaseEvent,
  intakeCaseContracts,
  intakeCaseContractsV2,
  intakeCaseEvent,
  intakeCaseOpenedV1,
  intakeCaseOpenedV2,
  intakeCaseWithdrawnV1,
  intakeCaseWithdrawnV2,
  intakeEvidenceAttachedV1,
  intakeServicesChangedV1,
} from './intake.ts';
export {
  ERASURE_GROUNDS,
  fileReference,
  LEGAL_HOLD_GROUNDS,
  legalHoldLifted,
  legalHoldPlaced,
  PRIVACY_SUBJECT_CATEGORY,
  type PrivacySubjectEvent,
  privacySubjectEvent,
  privacySubjectStream,
  type SubjectErased,
  subjectErased,
} from './privacy.ts';
export {
  birthDate,
  calendarDate,
  dayOf,
  EARLIEST_BIRTH_DATE,
  freeText,
  personName,
  phoneNumber,
  properName,
  singleLineText,
  uniqueList,
  upcomingDate,
} from './text.ts';
