import { env } from '@buergerkoffer/shared/config';
import { checkEventStoreConfig, eventStoreEnv } from '@buergerkoffer/shared/runtime';
import { z } from 'zod';
import { TEST_FAULTS } from './test-fault.ts';

/** The embedded system's configuration; nothing else reads process.env. */
export const configSchema = z
  .object({
    PORT: env.port(3000),
    HOST: env.host('127.0.0.1'),
    DATA_DIR: env.path('.data'),
    LOG_LEVEL: env.logLevel(),
    /** The events in the embedded database (default), or in KurrentDB (KURRENTDB_URL); everything else embedded. */
    ...eventStoreEnv,
    /** How long a relay, projection, feed hub or consumer may keep failing before /readyz answers 503 (ms). */
    READINESS_GRACE_MS: z.coerce.number().int().min(0).default(30_000),
    /** The bearer token the metrics scraper presents on /metrics; without it, only an admin's JWT reads them. */
    METRICS_TOKEN: z.string().min(32, 'at least 32 characters (openssl rand -base64 32)').optional(),
    /** A test fault hook (test-fault.ts); never set it outside a test. */
    BK_TEST_FAULT: z.enum(TEST_FAULTS).optional(),
  })
  .superRefine(checkEventStoreConfig);

export type Config = z.output<typeof configSchema>;
