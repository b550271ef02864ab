/**
 * `pnpm --silent run token <role> [--tenant <id>] [--sub <id>] [--kit <kit id>] [--ttl <seconds>]`: prints a bearer token for the
 * embedded system, signed with the key `pnpm start` keeps in its DATA_DIR (default `.data`, as `pnpm start`'s). The
 * bare token goes to standard output, anything else to standard error.
 *
 * It never creates a key: a key of its own would sign tokens the running system refuses (401, no hint why). Without
 * one in DATA_DIR it exits 78 naming the directory and how to point at the system that runs.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { describeSystem, findSystem, loadSigningKey, NoSigningKeyError } from '@buergerkoffer/embedded/system-state';
import { ConfigError, parseConfig } from '@buergerkoffer/shared/config';
import { MAX_TOKEN_AGE_SECONDS, ROLES, type Role } from '@buergerkoffer/shared/http';
import { tokenConfigSchema } from './config.ts';

const usage = `usage: pnpm --silent run token <role> [--tenant <id>] [--sub <id>] [--kit <kit id>] [--ttl <seconds>]
roles: ${ROLES.join(', ')}
DATA_DIR: the data directory of the running \`pnpm start\` (default .data)`;

async function main(argv: readonly string[]): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  const parse = () =>
    parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        tenant: { type: 'string', default: 'default' },
        sub: { type: 'string' },
        kit: { type: 'string' },
        ttl: { type: 'string', default: String(8 * 3600) },
        help: { type: 'boolean', short: 'h' },
      },
    });
  try {
    parsed = parse();
  } catch (error) {
    console.error(`${error instanceof Error ? error.message : String(error)}\n${usage}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const role = positionals[0];
  const isRole = (value: string | undefined): value is Role => ROLES.some((r) => r === value);
  if (values.help) {
    console.error(usage);
    return 0;
  }
  if (!isRole(role)) {
    console.error(role ? `unknown role: ${role}\n${usage}` : usage);
    return 2;
  }
  const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
  if ((role === 'kit-device') !== (values.kit !== undefined) || (values.kit !== undefined && !uuid.test(values.kit))) {
    console.error(`a kit-device token needs --kit <the kit's id, a UUID>, and only it takes one\n${usage}`);
    return 2;
  }
  const ttl = Number(values.ttl);
  if (!Number.isInteger(ttl) || ttl < 1 || ttl > MAX_TOKEN_AGE_SECONDS) {
    console.error(`--ttl must be a whole number of seconds, at most ${MAX_TOKEN_AGE_SECONDS} (12 h)\n${usage}`);
    return 2;
  }
  let config: ReturnType<typeof parseConfig<typeof tokenConfigSchema>>;
  try {
    config = parseConfig(tokenConfigSchema, process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(error.message);
    return 78; // EX_CONFIG
  }
  const dataDir = resolve(config.DATA_DIR);
  let keys: Awaited<ReturnType<typeof loadSigningKey>>;
  try {
    keys = await loadSigningKey(dataDir, `pnpm --silent run token ${role}`);
  } catch (error) {
    if (!(error instanceof NoSigningKeyError)) throw error;
    console.error(`token: ${error.message}`);
    return 78; // EX_CONFIG: DATA_DIR names no system's directory
  }
  // The key is the system's, so the token is good; say so when nothing runs on it right now (stderr only).
  const found = await findSystem(dataDir);
  if (found.status !== 'running') console.error(`token: note: ${describeSystem(dataDir, found)}`);
  console.log(
    await keys.sign(
      { subject: values.sub ?? `${role}-1`, tenantId: values.tenant, roles: [role], kitId: values.kit },
      ttl,
    ),
  );
  return 0;
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  // One line, not a stack: the cause is what the operator needs (an unreadable key file, say).
  console.error(`token: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
}
