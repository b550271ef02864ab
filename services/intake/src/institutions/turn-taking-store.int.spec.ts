import { PostgresEventStore, uuidv7 } from '@buergerkoffer/shared/event-sourcing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TurnTakingStore } from './turn-taking-store.ts';

describe('a turn-taking store over the embedded store', () => {
  let store: PostgresEventStore;
  beforeAll(async () => {
    store = await PostgresEventStore.embedded();
  });
  afterAll(async () => store.close());

  const appendWhileCounting = async (target: { append: PostgresEventStore['append'] }) => {
    let turnPassed = false;
    setImmediate(() => {
      turnPassed = true;
    });
    const result = await target.append(`sample-${uuidv7()}`, [
      { id: uuidv7(), type: 'SampleHappened', data: { n: 1 }, metadata: { tenantId: 'bochum' } },
    ]);
    return { result, turnPassed };
  };

  it('answers an append only after a turn of the event loop (the embedded store itself answers within one)', async () => {
    const plain = await appendWhileCounting(store);
    expect(plain.turnPassed).toBe(false); // the reason for the decorator
    const taking = await appendWhileCounting(new TurnTakingStore(store));
    expect(taking.turnPassed).toBe(true);
    expect(taking.result.nextExpectedRevision).toBe(0);
  });

  it('hands the loop back after a failed append too, and passes the error on', async () => {
    const turnTaking = new TurnTakingStore(store);
    const stream = `sample-${uuidv7()}`;
    let turnPassed = false;
    setImmediate(() => {
      turnPassed = true;
    });
    await expect(
      turnTaking.append(stream, [{ id: uuidv7(), type: 'SampleHappened', data: {}, metadata: { tenantId: 'b' } }], {
        revision: 5,
      }),
    ).rejects.toThrow();
    expect(turnPassed).toBe(true);
    expect(await turnTaking.readStream(stream)).toEqual([]);
  });
});
