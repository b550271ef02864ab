export { createLogger, type Logger, type LoggerConfig, personalDataKeys } from './logger.ts';
