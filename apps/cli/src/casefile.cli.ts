/**
 * `pnpm casefile <command>`: operations on the case files.
 *   rebuild                 every projection of every service, from the event store
 *   history <caseId> …      a case's audit history through the casefile API of the system that runs
 */
import { resolve } from 'node:path';
import { findSystem, loadSigningKey, NoSigningKeyError } from '@buergerkoffer/embedded/system-state';
import { ConfigError, parseConfig } from '@buergerkoffer/shared/config';
import { cliConfigSchema } from './config.ts';
import { historyUsage, parseHistoryArgs, resolveApiUrl, runHistory } from './history.command.ts';
import { rebuildUsage, runRebuild } from './rebuild.command.ts';

const usage = `usage: pnpm casefile <command> [options]   (pnpm casefile <command> --help for its options)

commands:
  rebuild            rebuild every projection of every service from the event store
  history <caseId>   a case's audit history (and its state at a time) through the casefile API

${rebuildUsage}

${historyUsage}`;

const stdout = (text: string) => void process.stdout.write(text);
const stderr = (text: string) => void process.stderr.write(text);

async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    stdout(`${usage}\n`);
    return command === undefined ? 2 : 0;
  }
  let config: ReturnType<typeof parseConfig<typeof cliConfigSchema>>;
  try {
    config = parseConfig(cliConfigSchema, process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    stderr(`${error.message}\n`);
    return 78; // EX_CONFIG
  }
  switch (command) {
    case 'rebuild':
      return runRebuild(rest, config, { stdout, stderr, stderrIsTty: process.stderr.isTTY === true });
    case 'history': {
      const parsed = parseHistoryArgs(rest);
      if (parsed.ok === 'help') {
        stdout(`${historyUsage}\n`);
        return 0;
      }
      if (!parsed.ok) {
        stderr(`${parsed.message}\n${historyUsage}\n`);
        return 2;
      }
      const args = parsed.value;
      const dataDir = resolve(config.DATA_DIR);
      const needsSystem = args.url === undefined && config.BK_URL === undefined;
      const url = resolveApiUrl({
        flag: args.url,
        env: config.BK_URL,
        dataDir,
        found: needsSystem ? await findSystem(dataDir) : { status: 'none' },
      });
      if (!url.ok) {
        stderr(`casefile: ${url.message}\n`);
        return needsSystem ? 69 : 2; // EX_UNAVAILABLE: nothing runs there; 2: a bad BK_URL
      }
      let token = args.token ?? config.BK_TOKEN;
      if (token === undefined) {
        // A local auditor token, as `pnpm run token auditor` would print, with the key of the system on DATA_DIR.
        try {
          const keys = await loadSigningKey(dataDir, 'pnpm casefile history …');
          token = await keys.sign(
            { subject: config.USER ?? 'cli', tenantId: args.tenant, roles: ['auditor'] },
            15 * 60,
          );
        } catch (error) {
          if (!(error instanceof NoSigningKeyError)) throw error;
          stderr(`casefile: ${error.message}\nor give a token: --token <jwt> or BK_TOKEN=<jwt>.\n`);
          return 78; // EX_CONFIG
        }
      }
      return runHistory({ ...args, url: url.value }, { fetch, stdout, stderr, token });
    }
    default:
      stderr(`unknown command: ${command}\n${usage}\n`);
      return 2;
  }
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  // One line, not a stack: the operator needs the cause (a bad key, a database that does not answer).
  stderr(`casefile: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
}
