/**
 * Which service wrote a stream, from its category (architecture.md, "Streams"). Casefile reads every service's
 * events from the store; it knows their stream categories, never their code.
 */
import { categoryOf } from '@buergerkoffer/shared/event-sourcing';
import { ACCESS_LOG_CATEGORY } from '@buergerkoffer/shared/privacy';

const SERVICE_OF_CATEGORY: Readonly<Record<string, string>> = {
  intakeCase: 'intake',
  caseReference: 'intake',
  institution: 'intake',
  eligibility: 'eligibility',
  ruleSet: 'eligibility',
  visit: 'scheduling',
  kitCalendar: 'scheduling',
  staffCalendar: 'scheduling',
  schedulingDemand: 'scheduling',
  kit: 'scheduling',
  staffMember: 'scheduling',
  schedulingSettings: 'scheduling',
  fieldVisit: 'fieldkit',
  kitSync: 'fieldkit',
  [ACCESS_LOG_CATEGORY]: 'casefile',
  privacySubject: 'casefile',
};

export const SERVICES = ['intake', 'eligibility', 'scheduling', 'fieldkit', 'casefile'] as const;
export type ServiceName = (typeof SERVICES)[number];

/** The service a stream belongs to; `unknown` for a category no service here has claimed yet. */
export const serviceOf = (stream: string): string => SERVICE_OF_CATEGORY[categoryOf(stream)] ?? 'unknown';

/** The stream categories of the given services (for store-side filtering of feeds). */
export const categoriesOf = (services: readonly string[]): string[] =>
  Object.entries(SERVICE_OF_CATEGORY)
    .filter(([, service]) => services.includes(service))
    .map(([category]) => category);
