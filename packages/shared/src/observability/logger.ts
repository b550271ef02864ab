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

/**
 * Requests are logged by path: a query string may carry what a caller typed (a search, an auditor's stated purpose),
 * so it is replaced by a marker that there was one.
 */
const requestSerializer = (req: { method?: string; url?: string; host?: string; ip?: string }) => {
  const [path, query] = String(req.url ?? '').split('?', 2);
  return {
    method: req.method,
    url: query === undefined ? path : `${path}?[redacted]`,
    host: req.host,
    remoteAddress: req.ip,
  };
};

export interface LoggerConfig {
  service: string;
  level: LoggerOptions['level'];
}

export function createLogger(config: LoggerConfig, destination?: pino.DestinationStream): Logger {
  const options: LoggerOptions = {
    level: config.level,
    base: { service: config.service },
    redact: { paths: redactPaths, censor: '[redacted]' },
    serializers: { req: requestSerializer },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    // Trace and span ids of the active span, so a log line leads to its trace.
    mixin: traceFields,
  };
  return destination ? pino(options, destination) : pino(options);
}

export type { Logger };
