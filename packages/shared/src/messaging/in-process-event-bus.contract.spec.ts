import { describe } from 'vitest';
import { eventBusContract } from './event-bus.contract.ts';
import { InProcessEventBus } from './in-process-event-bus.ts';

describe('in-process adapter', () => {
  eventBusContract('in-process', async () => {
    const bus = new InProcessEventBus();
    return { bus, close: () => bus.close() };
  });
});
