/** The intake service's configuration: one zod schema over the environment (nothing else reads process.env). */
import { env } from '@buergerkoffer/shared/config';
import { z } from 'zod';

const base64Key = z
  .string()
  .refine(
    (value) => Buffer.from(value, 'base64').length === 32,
    'expected 32 bytes in base64 (openssl rand -base64 32)',
  );

export const configSchema = z
  .object({
    PORT: env.port(3101),
    HOST: env.host('0.0.0.0'),
    LOG_LEVEL: env.logLevel(),
    DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, 'expected postgres://…'),
    KAFKA_BROKERS: z.string().min(1, 'comma-separated host:port list'),
    PD_MASTER_KEY: base64Key,
    AUTH_MODE: z.enum(['oidc', 'local']).default('oidc'),
    OIDC_ISSUER: z.url().optional(),
    OIDC_AUDIENCE: z.string().min(1).optional(),
    OIDC_JWKS_URI: z.url().optional(),
    /** AUTH_MODE=local: the directory holding the signing key (as `pnpm run token` uses with DATA_DIR). */
    AUTH_LOCAL_KEY_DIR: z.string().min(1).optional(),
    RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).default(600),
  })
  .superRefine((config, context) => {
    if (config.AUTH_MODE === 'oidc') {
      for (const name of ['OIDC_ISSUER', 'OIDC_AUDIENCE', 'OIDC_JWKS_URI'] as const) {
        if (!config[name]) context.addIssue({ code: 'custom', path: [name], message: 'required with AUTH_MODE=oidc' });
      }
    } else if (!config.AUTH_LOCAL_KEY_DIR) {
      context.addIssue({ code: 'custom', path: ['AUTH_LOCAL_KEY_DIR'], message: 'required with AUTH_MODE=local' });
    }
  });

export type Config = z.output<typeof configSchema>;
