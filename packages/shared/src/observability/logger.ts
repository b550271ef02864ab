import { type Logger, type LoggerOptions, pino } from 'pino';
import { traceFields } from './tracing.ts';

/**
 * Field names that may carry personal data. Logs never carry it (architecture.md, "Personal data"): pino replaces
 * these wherever they appear up to two levels deep. Messages are constant; data goes into fields.
 */
export const personalDataKeys = [
  'givenNames',
  'familyName',
  'name',
  'birthDate',
  'dateOfBirth',
  'address',
  'street',
  'postalCode',
  'phone',
  'email',
  'careLevel',
  'disabilityMarks',
  'applicant',
  'contactPerson',
  'personalData',
  'authorization',
  'cookie',
  'password',
  'token',
] as const;

const redactPaths = personalDataKeys.flatMap((key) => [key, `*.${key}`, `*.*.${key}`]);

export interface LoggerConfig {
  service: string;
  level: LoggerOptions['level'];
}

export function createLogger(config: LoggerConfig, destination?: pino.DestinationStream): Logger {
  const options: LoggerOptions = {
    level: config.level,
    base: { service: config.service },
    redact: { paths: redactPaths, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    // Trace and span ids of the active span, so a log line leads to its trace.
    mixin: traceFields,
  };
  return destination ? pino(options, destination) : pino(options);
}

export type { Logger };
