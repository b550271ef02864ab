import { describeWith } from '../../testing/requirements.ts';
import { eventStoreContract } from '../event-store.contract.ts';
import { KurrentDbCheckpointStore, KurrentDbEventStore } from './kurrentdb-event-store.ts';

describeWith('kurrentdb', 'KurrentDB adapter', (url) => {
  eventStoreContract('KurrentDB', async () => {
    const store = KurrentDbEventStore.connect(url);
    return { store, checkpoints: new KurrentDbCheckpointStore(store.client), close: () => store.close() };
  });
});
