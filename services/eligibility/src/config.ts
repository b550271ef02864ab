/** The eligibility service's configuration: one zod schema over the environment. */
import { env } from '@buergerkoffer/shared/config';
import { z } from 'zod';

export const configSchema = z
  .object({
    PORT: env.port(3102),
    HOST: env.host('0.0.0.0'),
    LOG_LEVEL: env.logLevel(),
    DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, 'expected postgres://…'),
    KAFKA_BROKERS: z.string().min(1, 'comma-separated host:port list'),
    /** The master key of the shared key store: opens the sealed health claims of intake's events. */
    PD_MASTER_KEY: z
      .string()
      .refine((value) => Buffer.from(value, 'base64').length === 32, 'expected 32 bytes in base64'),
    AUTH_MODE: z.enum(['oidc', 'local']).default('oidc'),
    OIDC_ISSUER: z.url().optional(),
    OIDC_AUDIENCE: z.string().min(1).optional(),
    OIDC_JWKS_URI: z.url().optional(),
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
