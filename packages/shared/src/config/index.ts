/**
 * Configuration from the environment: one zod schema per process, parsed once in its composition root. A bad or
 * missing value stops start-up with a message that names every offending variable.
 */
import { z } from 'zod';

export class ConfigError extends Error {
  readonly issues: readonly { variable: string; message: string }[];
  readonly variables: readonly string[];
  constructor(issues: readonly { variable: string; message: string }[]) {
    super(`invalid configuration:\n${issues.map((i) => `  ${i.variable}: ${i.message}`).join('\n')}`);
    this.name = 'ConfigError';
    this.issues = issues;
    this.variables = issues.map((i) => i.variable);
  }
}

export function parseConfig<S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv): z.output<S> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  throw new ConfigError(
    result.error.issues.map((issue) => ({
      variable: issue.path.map(String).join('.') || '(environment)',
      message: issue.message,
    })),
  );
}

/** Reusable variable schemas. */
export const env = {
  port: (fallback: number) => z.coerce.number().int().min(0).max(65_535).default(fallback),
  host: (fallback: string) => z.string().min(1).default(fallback),
  logLevel: () => z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  path: (fallback: string) => z.string().min(1).default(fallback),
} as const;
