/**
 * The kit client's configuration: one zod schema per command over the environment (with --url and --data-dir laid
 * over it), parsed once in kit.cli.ts; nothing else reads process.env. Each command asks only for what it uses:
 * `status` works offline with nothing but the data directory, `record` needs no server.
 */
import { deviceIdSchema } from '@buergerkoffer/shared/contracts';
import { z } from 'zod';

const dataDir = { KIT_DATA_DIR: z.string().min(1).default('.kit') };
const kitId = { KIT_ID: z.uuid('the kit\u2019s id (a UUID)') };
const deviceId = { KIT_DEVICE_ID: deviceIdSchema };
const server = {
  /** The fieldkit API, e.g. http://127.0.0.1:3000/fieldkit (embedded). */
  KIT_URL: z.url({
    protocol: /^https?$/,
    error: 'the fieldkit API, an http(s) URL (e.g. http://127.0.0.1:3000/fieldkit)',
  }),
  /** A kit-device bearer token (`pnpm --silent run token kit-device --kit <KIT_ID>`). Never printed. */
  KIT_TOKEN: z.string({ error: 'a kit-device bearer token for this kit' }).regex(/^\S+$/, 'a bearer token (no spaces)'),
};

export const configSchemas = {
  pull: z.object({ ...dataDir, ...kitId, ...server }),
  record: z.object({ ...dataDir, ...kitId, ...deviceId }),
  sync: z.object({ ...dataDir, ...kitId, ...server }),
  status: z.object({ ...dataDir }),
} as const;

export type Command = keyof typeof configSchemas;
export type Config<C extends Command> = z.output<(typeof configSchemas)[C]>;

export type ConfigResult<T> =
  | { readonly ok: true; readonly config: T }
  | { readonly ok: false; readonly message: string };

/** The command's configuration, or a message naming every bad or missing variable (never a value: one is a token). */
export function parseConfig<S extends z.ZodType>(
  schema: S,
  command: string,
  env: Readonly<Record<string, string | undefined>>,
  overrides: { readonly url?: string | undefined; readonly dataDir?: string | undefined } = {},
): ConfigResult<z.output<S>> {
  const source = {
    ...env,
    ...(overrides.url === undefined ? {} : { KIT_URL: overrides.url }),
    ...(overrides.dataDir === undefined ? {} : { KIT_DATA_DIR: overrides.dataDir }),
  };
  const result = schema.safeParse(source);
  if (result.success) return { ok: true, config: result.data };
  const lines = result.error.issues.map(
    (issue) => `  ${issue.path.map(String).join('.') || '(environment)'}: ${issue.message}`,
  );
  return { ok: false, message: `invalid configuration for \`kit ${command}\`:\n${lines.join('\n')}` };
}
