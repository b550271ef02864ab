/** The eligibility service on its own (distributed mode): the shared runtime with eligibility's plugin. */
import { runService } from '@buergerkoffer/shared/http';
import { PersonalDataStore } from '@buergerkoffer/shared/privacy';
import { buildService, name, personalData } from './service.ts';

await runService({
  name,
  title: 'Bürgerkoffer eligibility',
  usesBus: true,
  defaultPort: 3102,
  build: (deps) => {
    const store = new PersonalDataStore(deps.store, deps.keyStore, personalData);
    return buildService({
      store,
      sealedStore: deps.store,
      sql: deps.sql,
      checkpoints: deps.checkpoints,
      bus: deps.bus,
      protector: store.protector,
      now: deps.now,
    });
  },
});
