/**
 * A process for the crash test of the embedded bus, on the PGlite data directory DIR: it consumes TOPIC as GROUP,
 * printing `begin <partition> <offset> <value>` when a handler starts and `end …` when it has finished (the handler
 * of the value STUCK never finishes), while it publishes v0, v1, … one message per call, as a relay does, printing
 * `published <value>` once each call has returned. The test kills it with SIGKILL in the middle of all that.
 */
import { PGlite } from '@electric-sql/pglite';
import { pgliteSql } from '../event-sourcing/postgres/sql.ts';
import { PostgresEventBus } from './postgres-event-bus.ts';

const [dir = '', topic = '', groupId = '', total = '0', stuck = ''] = process.argv.slice(2);
const say = (line: string) => process.stdout.write(`${line}\n`); // synchronous on a pipe (Linux)

const bus = await PostgresEventBus.open(pgliteSql(await PGlite.create(dir)));
await bus.ensureTopics([{ topic, partitions: 3 }]);
await bus.subscribe({ groupId, topics: [topic] }, async (message) => {
  const line = `${message.partition} ${message.offset} ${message.value.toString()}`;
  say(`begin ${line}`);
  if (message.value.toString() === stuck) await new Promise(() => undefined);
  await new Promise((resolve) => setTimeout(resolve, 2));
  say(`end ${line}`);
});
say('ready');
setInterval(() => undefined, 1_000); // alive until killed, whatever the handlers wait for
for (let i = 0; i < Number(total); i++) {
  await bus.publish(topic, [{ key: `case-${i % 7}`, value: `v${i}` }]);
  say(`published v${i}`);
  // At a relay's pace, one append after another: a tight loop of PGlite calls would hold the event loop (PGlite
  // answers in microtasks) and the handlers' timers would not run until it ended.
  await new Promise((resolve) => setTimeout(resolve, 1));
}
say('all published');
