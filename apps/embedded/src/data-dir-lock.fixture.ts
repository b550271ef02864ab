/**
 * A process that tries the data-dir lock when told to, and holds it until told to stop (for the race test): it
 * prints `ready`, waits for `go` on stdin, tries the lock, prints `acquired` or `refused`, and — having the lock —
 * keeps it until stdin closes. No clock decides anything: the parent starts the race once every racer is ready and
 * ends it once every racer has answered.
 */
import { createInterface } from 'node:readline';
import { lockDataDir } from './data-dir-lock.ts';

const [dataDir = '.'] = process.argv.slice(2);
const lines = createInterface({ input: process.stdin });
const closed = new Promise<void>((resolve) => lines.once('close', () => resolve()));
const go = new Promise<void>((resolve) => lines.once('line', () => resolve()));
process.stdout.write('ready\n');
await go;
try {
  await lockDataDir(dataDir);
  process.stdout.write('acquired\n');
  await closed; // held until the parent has every answer
} catch (error) {
  process.stdout.write(
    `${(error as Error).name === 'DataDirLockedError' ? 'refused' : `failed: ${(error as Error).message}`}\n`,
  );
}
process.exit(0);
