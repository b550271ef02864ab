/** The casefile service on its own (distributed mode): the shared runtime with casefile's plugin. */
import { runService } from '@buergerkoffer/shared/http';
import { buildService, name } from './service.ts';

await runService({
  name,
  title: 'Bürgerkoffer casefile',
  defaultPort: 3105,
  build: (deps) => buildService({ store: deps.store, keyStore: deps.keyStore, sql: deps.sql, now: deps.now }),
});
