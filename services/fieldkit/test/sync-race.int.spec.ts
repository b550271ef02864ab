/**
 * The same batch sent twice at once (a kit client that timed out, or was killed and restarted, while the server was
 * still at work): every item is taken in once, and both requests answer it as taken in — never as a reused id, which
 * the kit would keep as a final refusal and staff would record again.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syncBatch } from '../src/sync/sync.ts';
import { type FieldkitFixture, fieldkitFixture, kitDayRecords, TENANT } from './fieldkit.fixture.ts';

describe('two syncs of one batch at once', () => {
  let fk: FieldkitFixture;
  beforeAll(async () => {
    fk = await fieldkitFixture();
  });
  afterAll(async () => fk?.close());

  it('takes each record in once and answers both requests with it (accepted, or a duplicate of it)', async () => {
    for (let round = 0; round < 5; round++) {
      const visits = await fk.seedVisits(1, { participants: 3, services: ['id-card', 'registration-certificate'] });
      const batch = kitDayRecords(visits, { from: round * 100 + 1 });
      // Two requests: each its own correlation id (so their events differ in what varies per request).
      const request = (correlationId: string) =>
        syncBatch(
          fk.fixture.store,
          {
            tenantId: TENANT,
            kitId: fk.kitId,
            actor: { id: 'kit-session-1', role: 'kit-device' },
            correlationId,
            now: () => new Date(),
          },
          batch as unknown as Record<string, unknown>[],
        );
      const [first, second] = await Promise.all([request(`req-a-${round}`), request(`req-b-${round}`)]);
      for (const answered of [first, second]) {
        expect(answered.counts.conflict).toBe(0);
        expect(answered.counts.accepted + answered.counts.duplicate).toBe(batch.length);
      }
      const stream = visits[0]?.stream ?? '';
      const records = (await fk.fixture.store.readStream(stream)).filter((e) => !e.type.startsWith('Kit'));
      expect(records).toHaveLength(batch.length);
      expect(new Set(records.map((e) => e.id)).size).toBe(batch.length);
    }
  });
});
