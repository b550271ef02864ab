/**
 * The booking's guarantee where it is made: concurrent holds on one resource's day, decided by the calendar decider
 * and appended at the calendar's expected revision — on whichever store runs it. Every store must let exactly one
 * of a set of overlapping holds through, and the holds it lets through must never overlap.
 */
import { type EventStore, handleCommand, uuidv7 } from '@buergerkoffer/shared/event-sourcing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { calendarDecider, overlaps, toKitCalendarStreamName } from '../src/calendars/calendar.decider.ts';
import { SlotTaken } from '../src/calendars/calendar.errors.ts';
import { calendarCodec } from '../src/calendars/calendar.events.ts';

const DATE = '2027-03-01';
const MINUTE = 60_000;

export function calendarRaceSuite(name: string, open: () => Promise<{ store: EventStore; close(): Promise<void> }>) {
  describe(`day calendars on ${name}`, () => {
    let store: EventStore;
    let close: () => Promise<void>;
    beforeAll(async () => {
      ({ store, close } = await open());
    }, 120_000);
    afterAll(async () => close());

    const reserve = (kitId: string, startMs: number, minutes: number) => {
      const visitId = uuidv7();
      return handleCommand(
        {
          store,
          decider: calendarDecider,
          decode: calendarCodec.decode,
          stream: toKitCalendarStreamName(kitId, DATE),
          retries: 50,
        },
        {
          type: 'Reserve',
          resource: { kind: 'kit', id: kitId },
          date: DATE,
          holdId: `${visitId}:1`,
          visitId,
          start: new Date(startMs).toISOString(),
          end: new Date(startMs + minutes * MINUTE).toISOString(),
          bufferMinutes: 30,
          now: new Date().toISOString(),
        },
        { tenantId: 'bochum', actor: { id: 'race', role: 'system' } },
      );
    };
    const holdsOf = async (kitId: string) => {
      const events = (await store.readStream(toKitCalendarStreamName(kitId, DATE))).flatMap(
        (e) => calendarCodec.decode(e) ?? [],
      );
      return events.reduce(calendarDecider.evolve, calendarDecider.initialState()).holds;
    };

    it('lets exactly one of 30 overlapping holds on a new day through; the rest are refused as taken', async () => {
      const kitId = uuidv7();
      const base = Date.parse(`${DATE}T09:00:00Z`);
      const results = await Promise.allSettled(
        Array.from({ length: 30 }, (_, i) => reserve(kitId, base + i * MINUTE, 60)),
      );
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      for (const refused of results.filter((r) => r.status === 'rejected'))
        expect(refused.reason).toBeInstanceOf(SlotTaken);
      expect(await holdsOf(kitId)).toHaveLength(1);
    });

    it('lets every hold through that fits, and none that overlap, when 24 bookings race over one day', async () => {
      const kitId = uuidv7();
      const base = Date.parse(`${DATE}T07:00:00Z`);
      // Every 20 minutes a 30-minute visit: with a 30-minute buffer, at most every fourth fits beside the others.
      await Promise.allSettled(Array.from({ length: 24 }, (_, i) => reserve(kitId, base + i * 20 * MINUTE, 30)));
      const holds = await holdsOf(kitId);
      expect(holds.length).toBeGreaterThanOrEqual(6);
      for (const [i, a] of holds.entries()) {
        for (const b of holds.slice(i + 1)) expect(overlaps(a, b)).toBe(false);
      }
    });
  });
}
