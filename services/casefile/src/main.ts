/**
 * The casefile service on its own (distributed mode): the shared runtime with casefile's plugin. It reads the shared
 * store and does not use the bus, so it needs no Kafka.
 */
import { runService } from '@buergerkoffer/shared/http';
import { buildService, name } from './service.ts';

await runService({
  name,
  title: 'Bürgerkoffer casefile',
  usesBus: false,
  defaultPort: 3105,
  build: (deps) => buildService({ store: deps.store, keyStore: deps.keyStore, sql: deps.sql, now: deps.now }),
});
