/** The day plan from the visits of a kit: the day's visits that take place in order, cancelled ones apart. */
import { WITHHELD } from '@buergerkoffer/shared/privacy';
import { describe, expect, it } from 'vitest';
import { dayPlanOf } from './day-plan.ts';
import type { VisitEntry } from './visit-entry.ts';

const KIT = '0192f000-0000-7000-8000-00000000000a';
const entry = (visitId: string, start: string, overrides: Partial<VisitEntry> = {}): VisitEntry => ({
  visitId,
  status: 'planned',
  sequence: 0,
  date: '2026-10-25',
  start,
  end: new Date(Date.parse(start) + 3_600_000).toISOString(),
  kitId: KIT,
  staffIds: ['s1', 's2'],
  place: { kind: 'home' },
  address: WITHHELD,
  participants: [{ caseId: `case-${visitId}`, services: ['certified-copy'] }],
  requiredDevices: ['printer', 'scanner'],
  needsRescheduling: null,
  ...overrides,
});

describe('a day plan', () => {
  it('lists the visits that take place in the order of their start, in wall-clock time on the day the clocks go back', () => {
    const plan = dayPlanOf(KIT, '2026-10-25', 'Europe/Berlin', [
      entry('b', '2026-10-25T12:00:00.000Z', { status: 'confirmed', requiredDevices: ['change-terminal'] }),
      entry('a', '2026-10-25T09:00:00.000Z'),
      entry('c', '2026-10-25T10:30:00.000Z', { status: 'cancelled' }),
      entry('d', '2026-10-25T14:00:00.000Z', { status: 'booking' }),
      entry('e', '2026-10-24T09:00:00.000Z', { date: '2026-10-24' }),
    ]);
    expect(plan.visits.map((v) => [v.visitId, v.status, v.localStart])).toEqual([
      ['a', 'planned', '10:00'],
      ['b', 'confirmed', '13:00'],
    ]);
    expect(plan.cancelled).toEqual([
      {
        visitId: 'c',
        start: '2026-10-25T10:30:00.000Z',
        end: '2026-10-25T11:30:00.000Z',
        localStart: '11:30',
        localEnd: '12:30',
      },
    ]);
    expect(plan.devicesNeeded).toEqual(['change-terminal', 'printer', 'scanner']);
  });

  it('names each service as the catalogue does, and a service the catalogue does not know by its id', () => {
    const plan = dayPlanOf(KIT, '2026-10-25', 'Europe/Berlin', [
      entry('a', '2026-10-25T09:00:00.000Z', {
        participants: [{ caseId: 'case-a', services: ['certified-copy', 'dog-licence'] }],
      }),
    ]);
    expect(plan.visits[0]?.participants[0]?.services).toEqual([
      {
        id: 'certified-copy',
        name: 'Beglaubigung (certified copy), not of civil-status certificates',
        citizenBrings: 'the original',
        minutes: 5,
      },
      { id: 'dog-licence', name: 'dog-licence', citizenBrings: '', minutes: 15 },
    ]);
    expect(plan.visits[0]?.place).toEqual({ kind: 'home', address: WITHHELD });
  });
});
