/**
 * A process for the crash test of `kit record` (record-crash.int.spec.ts), on the kit data directory DIR: it records
 * one record after another, each through the record command's own code (one transaction each), printing its
 * submission id once it is committed — as `kit record` does —, until it is killed.
 */

import { DEVICE, recordLines } from './kit.fixture.ts';
import { runRecord } from './record.command.ts';
import { KitStore } from './store.ts';
import { uuidv7 } from './uuidv7.ts';

const [dir = ''] = process.argv.slice(2);
const store = await KitStore.open(dir);
const [line = {}] = recordLines(1).slice(1, 2);
process.stderr.write('ready\n');
for (let i = 0; ; i++) {
  const code = await runRecord(
    {
      store,
      io: { out: (text) => process.stdout.write(`${text}\n`), err: (text) => process.stderr.write(`${text}\n`) },
      deviceId: DEVICE,
      now: () => new Date(),
      newId: (at) => uuidv7(at.getTime()),
      offsetMinutes: (at) => -at.getTimezoneOffset(),
    },
    [{ label: `record ${i}`, input: { ...line, feeCents: i } }],
    false,
  );
  if (code !== 0) process.exit(code);
}
