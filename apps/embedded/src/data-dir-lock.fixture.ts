/** A process that tries the data-dir lock at an agreed moment and holds it a while (for the race test). */
import { lockDataDir } from './data-dir-lock.ts';

const [dataDir = '.', at = '0'] = process.argv.slice(2);
while (Date.now() < Number(at)) {
  // spin until the agreed moment, so the racers really start together
}
try {
  await lockDataDir(dataDir);
  process.stdout.write('acquired\n');
  await new Promise((resolve) => setTimeout(resolve, 500));
} catch (error) {
  process.stdout.write(
    `${(error as Error).name === 'DataDirLockedError' ? 'refused' : `failed: ${(error as Error).message}`}\n`,
  );
}
