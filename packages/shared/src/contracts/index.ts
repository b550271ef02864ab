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
  type IntakeCaseEvent,
  intakeCaseContracts,
  intakeCaseEvent,
  intakeCaseOpenedV1,
  intakeCaseWithdrawnV1,
  intakeEvidenceAttachedV1,
  intakeServicesChangedV1,
} from './intake.ts';
