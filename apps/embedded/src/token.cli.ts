/**
 * `pnpm token <role> [--tenant <id>] [--sub <id>] [--ttl <seconds>]`: prints a bearer token for the embedded system,
 * signed with its local key in DATA_DIR (created on first use). The bare token goes to standard output.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { LocalKeys, ROLES, type Role } from '@buergerkoffer/shared/http';

const usage = `usage: pnpm run token <role> [--tenant <id>] [--sub <id>] [--ttl <seconds>]\nroles: ${ROLES.join(', ')}`;

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    tenant: { type: 'string', default: 'default' },
    sub: { type: 'string' },
    ttl: { type: 'string', default: String(8 * 3600) },
    help: { type: 'boolean', short: 'h' },
  },
});
const role = positionals[0];
const isRole = (value: string | undefined): value is Role => ROLES.some((r) => r === value);
if (values.help || !isRole(role)) {
  console.error(role && !values.help ? `unknown role: ${role}\n${usage}` : usage);
  process.exit(values.help ? 0 : 2);
}
const ttl = Number(values.ttl);
if (!Number.isInteger(ttl) || ttl < 1) {
  console.error(`--ttl must be a whole number of seconds\n${usage}`);
  process.exit(2);
}
const keys = await LocalKeys.loadOrCreate(resolve(process.env.DATA_DIR ?? '.data'));
console.log(await keys.sign({ subject: values.sub ?? `${role}-1`, tenantId: values.tenant, roles: [role] }, ttl));
