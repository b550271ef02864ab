import { env } from '@buergerkoffer/shared/config';
import { z } from 'zod';

/** The embedded system's configuration; nothing else reads process.env. */
export const configSchema = z.object({
  PORT: env.port(3000),
  HOST: env.host('127.0.0.1'),
  DATA_DIR: env.path('.data'),
  LOG_LEVEL: env.logLevel(),
});

export type Config = z.output<typeof configSchema>;
