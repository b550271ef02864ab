/** The intake service on its own (distributed mode): the shared runtime with intake's plugin. */
import { hkdfSync } from 'node:crypto';
import { runService } from '@buergerkoffer/shared/http';
import { PersonalDataStore } from '@buergerkoffer/shared/privacy';
import { buildService, name, personalData } from './service.ts';

await runService({
  name,
  title: 'Bürgerkoffer intake',
  usesBus: true,
  defaultPort: 3101,
  build: (deps) =>
    buildService({
      store: new PersonalDataStore(deps.store, deps.keyStore, personalData),
      sql: deps.sql,
      checkpoints: deps.checkpoints,
      duplicateSecret: Buffer.from(hkdfSync('sha256', deps.masterKey, Buffer.alloc(0), 'intake duplicate lookup', 32)),
      now: deps.now,
      relay: { sealedStore: deps.store, bus: deps.bus },
    }),
});
