export { SERVICE_IDS, type ServiceId } from './catalogue.ts';
export {
  type ContractRegistry,
  ContractViolation,
  fromKafkaRecord,
  type IntegrationEvent,
  JSON_CONTENT_TYPE,
  type KafkaRecord,
  SPEC_VERSION,
  toKafkaRecord,
} from './cloudevents.ts';
export {
  ELIGIBILITY_ASSESSMENT_TOPIC,
  ELIGIBILITY_SOURCE,
  eligibilityApprovedV1,
  eligibilityAssessmentContracts,
  eligibilityEvidenceRequestedV1,
  eligibilityPrecheckedV1,
  eligibilityRejectedV1,
} from './eligibility.ts';
export {
  INTAKE_CASE_TOPIC,
  INTAKE_SOURCE,
  intakeCaseContracts,
  intakeCaseOpenedV1,
  intakeCaseWithdrawnV1,
  intakeEvidenceAttachedV1,
  intakeServicesChangedV1,
} from './intake.ts';
