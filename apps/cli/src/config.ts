/** The CLIs' configuration (one schema per command); nothing else in them reads process.env. */
import { env } from '@buergerkoffer/shared/config';
import { checkEventStoreConfig, eventStoreEnv } from '@buergerkoffer/shared/runtime';
import { z } from 'zod';

/**
 * `pnpm casefile …` (casefile.cli.ts): where the data is, and how to reach the API. DATA_DIR has `pnpm start`'s
 * default, so the tools find the system (its `system.json`, its key) where a plain `pnpm start` put it.
 */
export const cliConfigSchema = z
  .object({
    DATA_DIR: env.path('.data'),
    /** The casefile API for `history` (as --url); unset: the URL in DATA_DIR's system.json, written by `pnpm start`. */
    BK_URL: z.string().min(1).optional(),
    /** Set: rebuild against the PostgreSQL server (distributed mode) instead of the embedded store in DATA_DIR. */
    DATABASE_URL: z.string().min(1).optional(),
    /** With DATABASE_URL: where the events are (as the services' EVENT_STORE / KURRENTDB_URL). */
    ...eventStoreEnv,
    /** The master key (base64, 32 bytes); embedded, the key file in DATA_DIR serves when unset. */
    PD_MASTER_KEY: z.string().min(1).optional(),
    /** A bearer token for `history`; without it (and without --token) a local auditor token is minted. */
    BK_TOKEN: z.string().min(1).optional(),
    USER: z.string().min(1).optional(),
  })
  .superRefine(checkEventStoreConfig);

export type CliConfig = z.output<typeof cliConfigSchema>;

/** `pnpm run token …` (token.cli.ts): the data directory whose signing key `pnpm start` uses. */
export const tokenConfigSchema = z.object({
  DATA_DIR: env.path('.data'),
});
