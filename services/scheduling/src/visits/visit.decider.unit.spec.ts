import { fold } from '@buergerkoffer/shared/event-sourcing';
import { DeciderSpecification } from '@buergerkoffer/shared/testing';
import { describe, expect, it } from 'vitest';
import type { ResourceRef } from '../calendars/calendar.events.ts';
import type { VisitCommand } from './visit.commands.ts';
import {
  allowedVisitActions,
  holdIdOf,
  toVisitStreamName,
  type VisitState,
  visitDecider,
  visitTransitions,
} from './visit.decider.ts';
import {
  InvalidVisitPlan,
  NotAParticipant,
  RescheduleInProgress,
  VisitActionNotAllowed,
  VisitNotFound,
} from './visit.errors.ts';
import type { Allocation, VisitEvent } from './visit.events.ts';

const spec = DeciderSpecification.for(visitDecider);
const visitId = '0192f0c4-7c1a-7000-8000-0000000000f1';
const kitId = '0192f0c4-7c1a-7000-8000-00000000c001';
const otherKitId = '0192f0c4-7c1a-7000-8000-00000000c002';
const anna = '0192f0c4-7c1a-7000-8000-00000000d001';
const ben = '0192f0c4-7c1a-7000-8000-00000000d002';
const cem = '0192f0c4-7c1a-7000-8000-00000000d003';
const caseA = '0192f0c4-7c1a-7000-8000-0000000000a1';
const caseB = '0192f0c4-7c1a-7000-8000-0000000000b2';
const subjectA = '0192f0c4-7c1a-7000-8000-0000000001a1';
const stranger = '0192f0c4-7c1a-7000-8000-0000000000e9';
const scheduler = 'scheduler-1';
const now = '2026-11-20T09:00:00.000Z';
const later = '2026-11-21T09:00:00.000Z';
const kitRef: ResourceRef = { kind: 'kit', id: kitId };
const place = { kind: 'home' as const, address: 'Musterstraße 1, 12345 Musterstadt' };
const participants = [
  { caseId: caseA, subjectId: subjectA, services: ['id-card'] },
  { caseId: caseB, services: ['life-certificate'] },
];

/** The first allocation: Tuesday 1 December 2026, 10:00–11:00 local (CET). */
const first = {
  kitId,
  staffIds: [anna, ben] as [string, string],
  date: '2026-12-01',
  start: '2026-12-01T09:00:00.000Z',
  end: '2026-12-01T10:00:00.000Z',
  bufferMinutes: 30,
};
/** Moved: the next day, same resources. */
const moved = { ...first, date: '2026-12-02', start: '2026-12-02T09:00:00.000Z', end: '2026-12-02T10:00:00.000Z' };
const hold1 = `${visitId}:1`;
const hold2 = `${visitId}:2`;

const startBooking = (extra: Partial<Extract<VisitCommand, { type: 'StartBooking' }>> = {}): VisitCommand => ({
  type: 'StartBooking',
  visitId,
  ...first,
  participants,
  place,
  placeSubjectId: subjectA,
  requiredDevices: ['camera', 'fingerprint-sensor', 'printer', 'signature-pad'],
  by: scheduler,
  now,
  ...extra,
});
type BookingStartedData = Extract<VisitEvent, { type: 'VisitBookingStarted' }>['data'];
const startedData: BookingStartedData = {
  visitId,
  holdId: hold1,
  ...first,
  participants,
  place,
  placeSubjectId: subjectA,
  requiredDevices: ['camera', 'fingerprint-sensor', 'printer', 'signature-pad'],
  requestedBy: scheduler,
  requestedAt: now,
};
const bookingStarted: VisitEvent = { type: 'VisitBookingStarted', data: startedData };
const allocation1: Allocation = { holdId: hold1, ...first };
const planned: VisitEvent = {
  type: 'VisitPlanned',
  data: {
    visitId,
    ...allocation1,
    participants: [
      { caseId: caseA, services: ['id-card'] },
      { caseId: caseB, services: ['life-certificate'] },
    ],
    plannedAt: now,
  },
};
const bookingRefused: VisitEvent = {
  type: 'VisitBookingRefused',
  data: { visitId, holdId: hold1, resource: kitRef, refusedAt: now },
};
const startReschedule = (to: Omit<Allocation, 'holdId'> = moved): VisitCommand => ({
  type: 'StartReschedule',
  visitId,
  ...to,
  by: scheduler,
  now: later,
});
const rescheduleStarted = (holdId = hold2, to: Omit<Allocation, 'holdId'> = moved): VisitEvent => ({
  type: 'VisitRescheduleStarted',
  data: { visitId, holdId, ...to, requestedBy: scheduler, requestedAt: later },
});
const rescheduleRefused = (holdId = hold2): VisitEvent => ({
  type: 'VisitRescheduleRefused',
  data: { visitId, holdId, resource: kitRef, refusedAt: later },
});
const rescheduled: VisitEvent = {
  type: 'VisitRescheduled',
  data: { visitId, holdId: hold2, ...moved, previous: allocation1, rescheduledAt: later },
};
const confirm: VisitCommand = { type: 'Confirm', visitId, confirmedBy: 'citizen', by: scheduler, now: later };
const confirmed: VisitEvent = {
  type: 'VisitConfirmed',
  data: { visitId, confirmedBy: 'citizen', recordedBy: scheduler, confirmedAt: later },
};
const cancel: VisitCommand = { type: 'Cancel', visitId, reason: 'citizen-request', by: scheduler, now: later };
const cancelled: VisitEvent = {
  type: 'VisitCancelled',
  data: { visitId, reason: 'citizen-request', cancelledBy: scheduler, cancelledAt: later },
};
const removeParticipant = (caseId: string): VisitCommand => ({
  type: 'RemoveParticipant',
  visitId,
  caseId,
  reason: 'case-withdrawn',
  by: scheduler,
  now: later,
});
const participantRemoved = (caseId: string): VisitEvent => ({
  type: 'ParticipantRemoved',
  data: { visitId, caseId, reason: 'case-withdrawn', removedBy: scheduler, removedAt: later },
});
const flagDevice = (device: string, at = later): VisitCommand => ({
  type: 'FlagForRescheduling',
  visitId,
  reason: 'device-faulty',
  kitId,
  device,
  now: at,
});
const deviceFlagged = (device: string): VisitEvent => ({
  type: 'VisitFlaggedForRescheduling',
  data: { visitId, reason: 'device-faulty', kitId, device, flaggedAt: later },
});

const stateOf = (events: readonly VisitEvent[]): VisitState => fold(visitDecider, events);
const notAllowed = (error: unknown) =>
  error instanceof VisitActionNotAllowed && error.code === 'visit-action-not-allowed';

/** One command of every type, each as it would be sent to the visit at hand. */
const everyCommand: readonly VisitCommand[] = [
  startBooking(),
  { type: 'CompleteBooking', visitId, holdId: hold1, now },
  { type: 'RefuseBooking', visitId, holdId: hold1, resource: kitRef, now },
  startReschedule(),
  { type: 'CompleteReschedule', visitId, holdId: hold2, now: later },
  { type: 'RefuseReschedule', visitId, holdId: hold2, resource: kitRef, now: later },
  confirm,
  cancel,
  removeParticipant(caseA),
  flagDevice('printer'),
];

describe('a visit', () => {
  it('lives in visit-<visitId> and numbers its holds <visitId>:<n>', () => {
    expect(toVisitStreamName(visitId)).toBe(`visit-${visitId}`);
    expect(holdIdOf(visitId, 3)).toBe(`${visitId}:3`);
  });

  describe('transitions', () => {
    it('are one table per status', () => {
      expect(visitTransitions.table).toEqual({
        none: ['StartBooking'],
        booking: ['StartBooking', 'CompleteBooking', 'RefuseBooking'],
        planned: [
          'Confirm',
          'StartReschedule',
          'CompleteReschedule',
          'RefuseReschedule',
          'Cancel',
          'RemoveParticipant',
          'FlagForRescheduling',
          'CompleteBooking',
        ],
        confirmed: [
          'Confirm',
          'StartReschedule',
          'CompleteReschedule',
          'RefuseReschedule',
          'Cancel',
          'RemoveParticipant',
          'FlagForRescheduling',
          'CompleteBooking',
        ],
        refused: ['RefuseBooking'],
        cancelled: ['Cancel', 'RemoveParticipant', 'CompleteReschedule', 'RefuseReschedule'],
      });
    });

    const histories: Record<string, readonly VisitEvent[]> = {
      none: [],
      booking: [bookingStarted],
      planned: [bookingStarted, planned],
      'planned, being rescheduled': [bookingStarted, planned, rescheduleStarted()],
      confirmed: [bookingStarted, planned, confirmed],
      refused: [bookingStarted, bookingRefused],
      cancelled: [bookingStarted, planned, cancelled],
    };
    for (const [name, history] of Object.entries(histories)) {
      it(`refuse in a ${name} visit every command the table does not allow`, () => {
        const state = stateOf(history);
        const allowed = visitTransitions.allowed(state);
        for (const command of everyCommand.filter((c) => !allowed.includes(c.type))) {
          const refusal =
            state.status === 'none'
              ? VisitNotFound
              : command.type === 'StartReschedule' && state.pending
                ? RescheduleInProgress
                : VisitActionNotAllowed;
          expect(() => visitDecider.decide(command, state), command.type).toThrow(refusal);
        }
      });
    }
  });

  describe('allowed actions', () => {
    it('offers nothing before the visit is planned, or once it is refused or cancelled', () => {
      expect(allowedVisitActions(stateOf([]))).toEqual([]);
      expect(allowedVisitActions(stateOf([bookingStarted]))).toEqual([]);
      expect(allowedVisitActions(stateOf([bookingStarted, bookingRefused]))).toEqual([]);
      expect(allowedVisitActions(stateOf([bookingStarted, planned, cancelled]))).toEqual([]);
    });
    it('offers a planned visit to be confirmed, rescheduled, cancelled or a participant removed', () =>
      expect(allowedVisitActions(stateOf([bookingStarted, planned]))).toEqual([
        'confirm',
        'reschedule',
        'cancel',
        'remove-participant',
      ]));
    it('does not offer to confirm a confirmed visit again', () =>
      expect(allowedVisitActions(stateOf([bookingStarted, planned, confirmed]))).toEqual([
        'reschedule',
        'cancel',
        'remove-participant',
      ]));
    it('does not offer a second reschedule while one is being booked', () =>
      expect(allowedVisitActions(stateOf([bookingStarted, planned, rescheduleStarted()]))).toEqual([
        'confirm',
        'cancel',
        'remove-participant',
      ]));
  });

  describe('that does not exist', () => {
    it('starts a booking of the first allocation, hold <visitId>:1', () =>
      spec.given([]).when(startBooking()).then([bookingStarted]));
    it('records no place subject or group request it was not given', () => {
      const { placeSubjectId: _subject, ...withoutSubject } = startedData;
      spec
        .given([])
        .when(startBooking({ placeSubjectId: undefined, groupRequestId: undefined }))
        .then([{ type: 'VisitBookingStarted', data: withoutSubject }]);
    });
    it('is booking afterwards, holding nothing yet', () =>
      spec
        .given([])
        .when(startBooking())
        .thenState({ status: 'booking', allocation: allocation1, allocations: 1, sequence: 0, pending: null }));
    it('needs two different members of staff', () =>
      spec
        .given([])
        .when(startBooking({ staffIds: [anna, anna] }))
        .thenThrows(InvalidVisitPlan, /two staff/));
    it('needs an end after the start', () => {
      spec
        .given([])
        .when(startBooking({ end: first.start }))
        .thenThrows(InvalidVisitPlan, /ends after it starts/);
      spec
        .given([])
        .when(startBooking({ end: '2026-12-01T08:00:00.000Z' }))
        .thenThrows(InvalidVisitPlan);
    });
    it('needs participants, each case once', () => {
      spec
        .given([])
        .when(startBooking({ participants: [] }))
        .thenThrows(InvalidVisitPlan, /each case once/);
      spec
        .given([])
        .when(
          startBooking({
            participants: [
              { caseId: caseA, services: ['id-card'] },
              { caseId: caseA, services: ['passport'] },
            ],
          }),
        )
        .thenThrows(InvalidVisitPlan, /each case once/);
    });
    it('cannot be confirmed, cancelled or completed: not found', () => {
      spec.given([]).when(confirm).thenThrows(VisitNotFound);
      spec.given([]).when(cancel).thenThrows(VisitNotFound);
      spec.given([]).when({ type: 'CompleteBooking', visitId, holdId: hold1, now }).thenThrows(VisitNotFound);
    });
  });

  describe('being booked', () => {
    const given = [bookingStarted];

    it('does nothing for the same booking again', () => spec.given(given).when(startBooking()).then([]));
    it('is planned once every resource is held, naming its participants’ cases and services', () =>
      spec.given(given).when({ type: 'CompleteBooking', visitId, holdId: hold1, now }).then([planned]));
    it('is planned afterwards', () =>
      spec
        .given(given)
        .when({ type: 'CompleteBooking', visitId, holdId: hold1, now })
        .thenState({ status: 'planned', sequence: 0 }));
    it('refuses to complete a booking of a hold it does not have', () =>
      spec
        .given(given)
        .when({ type: 'CompleteBooking', visitId, holdId: `${visitId}:7`, now })
        .thenThrows(notAllowed));
    it('is refused when a resource was taken, naming it', () => {
      spec
        .given(given)
        .when({ type: 'RefuseBooking', visitId, holdId: hold1, resource: kitRef, now })
        .then([bookingRefused]);
      spec
        .given(given)
        .when({ type: 'RefuseBooking', visitId, holdId: hold1, resource: kitRef, now })
        .thenState({ status: 'refused', refusedBy: kitRef });
    });
    it('cannot be confirmed, rescheduled or cancelled yet', () => {
      spec.given(given).when(confirm).thenThrows(notAllowed);
      spec.given(given).when(startReschedule()).thenThrows(notAllowed);
      spec.given(given).when(cancel).thenThrows(notAllowed);
    });
  });

  describe('refused', () => {
    const given = [bookingStarted, bookingRefused];

    it('does nothing for the refusal again', () =>
      spec.given(given).when({ type: 'RefuseBooking', visitId, holdId: hold1, resource: kitRef, now }).then([]));
    it('is not planned by a late completion', () =>
      spec.given(given).when({ type: 'CompleteBooking', visitId, holdId: hold1, now }).thenThrows(notAllowed));
    it('accepts no new booking under its id', () => spec.given(given).when(startBooking()).thenThrows(notAllowed));
  });

  describe('planned', () => {
    const given = [bookingStarted, planned];

    it('does nothing when the booking is completed again', () =>
      spec.given(given).when({ type: 'CompleteBooking', visitId, holdId: hold1, now }).then([]));
    it('refuses to complete a booking with a hold it does not have', () =>
      spec
        .given(given)
        .when({ type: 'CompleteBooking', visitId, holdId: `${visitId}:7`, now })
        .thenThrows(notAllowed));
    it('accepts no second booking', () => spec.given(given).when(startBooking()).thenThrows(notAllowed));

    it('is confirmed, counting the change', () => {
      spec.given(given).when(confirm).then([confirmed]);
      spec.given(given).when(confirm).thenState({ status: 'confirmed', confirmedBy: 'citizen', sequence: 1 });
    });

    it('is cancelled with a reason, counting the change', () => {
      spec.given(given).when(cancel).then([cancelled]);
      spec.given(given).when(cancel).thenState({ status: 'cancelled', cancelReason: 'citizen-request', sequence: 1 });
    });

    it('starts a reschedule with the next hold id, keeping what it holds', () => {
      spec.given(given).when(startReschedule()).then([rescheduleStarted()]);
      spec
        .given(given)
        .when(startReschedule())
        .thenState({
          status: 'planned',
          allocation: allocation1,
          pending: { holdId: hold2, ...moved },
          allocations: 2,
          sequence: 0,
        });
    });
    it('refuses a reschedule to the allocation it has (staff in either order)', () => {
      spec
        .given(given)
        .when(startReschedule(first))
        .thenThrows(InvalidVisitPlan, /already/);
      spec
        .given(given)
        .when(startReschedule({ ...first, staffIds: [ben, anna] }))
        .thenThrows(InvalidVisitPlan, /already/);
    });
    it('reschedules to other staff or another kit at the same time', () => {
      spec
        .given(given)
        .when(startReschedule({ ...first, staffIds: [anna, cem] }))
        .then([rescheduleStarted(hold2, { ...first, staffIds: [anna, cem] })]);
      spec
        .given(given)
        .when(startReschedule({ ...first, kitId: otherKitId }))
        .then([rescheduleStarted(hold2, { ...first, kitId: otherKitId })]);
    });
    it('refuses a reschedule that is not a plan', () => {
      spec
        .given(given)
        .when(startReschedule({ ...moved, staffIds: [ben, ben] }))
        .thenThrows(InvalidVisitPlan);
      spec
        .given(given)
        .when(startReschedule({ ...moved, end: moved.start }))
        .thenThrows(InvalidVisitPlan);
    });

    it('removes a participant, counting the change', () => {
      spec
        .given(given)
        .when(removeParticipant(caseA))
        .then([participantRemoved(caseA)]);
      spec
        .given(given)
        .when(removeParticipant(caseA))
        .thenState((state) => {
          expect(state.status).toBe('planned');
          if (state.status === 'none') return;
          expect(state.participants.map((p) => p.caseId)).toEqual([caseB]);
          expect(state.sequence).toBe(1);
        });
    });
    it('refuses to remove a case that does not take part', () =>
      spec.given(given).when(removeParticipant(stranger)).thenThrows(NotAParticipant));

    it('is flagged for rescheduling when a device it needs broke', () => {
      spec
        .given(given)
        .when(flagDevice('printer'))
        .then([deviceFlagged('printer')]);
      spec
        .given(given)
        .when(flagDevice('printer'))
        .thenState({ flag: { reason: 'device-faulty', kitId, device: 'printer', flaggedAt: later } });
    });
    it('records a flag for staff without the kit’s fields', () =>
      spec
        .given(given)
        .when({ type: 'FlagForRescheduling', visitId, reason: 'staff-absent', staffId: ben, now: later })
        .then([
          {
            type: 'VisitFlaggedForRescheduling',
            data: { visitId, reason: 'staff-absent', staffId: ben, flaggedAt: later },
          },
        ]));
    it('is not flagged once it is over', () => {
      spec.given(given).when(flagDevice('printer', first.end)).then([]);
      spec.given(given).when(flagDevice('printer', '2026-12-05T09:00:00.000Z')).then([]);
    });
    it('is flagged while it is still under way', () =>
      spec
        .given(given)
        .when(flagDevice('printer', '2026-12-01T09:59:00.000Z'))
        .then([
          {
            type: 'VisitFlaggedForRescheduling',
            data: { visitId, reason: 'device-faulty', kitId, device: 'printer', flaggedAt: '2026-12-01T09:59:00.000Z' },
          },
        ]));
  });

  describe('planned with one participant', () => {
    const alone: VisitEvent[] = [
      {
        type: 'VisitBookingStarted',
        data: { ...startedData, participants: [{ caseId: caseA, services: ['id-card'] }] },
      },
      planned,
    ];

    it('is cancelled when its last participant leaves: nobody to visit', () =>
      spec
        .given(alone)
        .when(removeParticipant(caseA))
        .then([
          participantRemoved(caseA),
          {
            type: 'VisitCancelled',
            data: { visitId, reason: 'no-participants', cancelledBy: scheduler, cancelledAt: later },
          },
        ]));
    it('counts both changes', () =>
      spec
        .given(alone)
        .when(removeParticipant(caseA))
        .thenState({ status: 'cancelled', cancelReason: 'no-participants', participants: [], sequence: 2 }));
  });

  describe('planned, a participant removed', () => {
    const given = [bookingStarted, planned, participantRemoved(caseA)];

    it('does nothing when the participant is removed again', () =>
      spec.given(given).when(removeParticipant(caseA)).then([]));
    it('cancels when the other one leaves too', () =>
      spec
        .given(given)
        .when(removeParticipant(caseB))
        .thenState({ status: 'cancelled', cancelReason: 'no-participants' }));
  });

  describe('flagged for rescheduling', () => {
    const given = [bookingStarted, planned, deviceFlagged('printer')];

    it('does nothing for the same reason again', () => spec.given(given).when(flagDevice('printer')).then([]));
    it('records another device as another reason', () =>
      spec
        .given(given)
        .when(flagDevice('camera'))
        .then([deviceFlagged('camera')]));
    it('records another reason', () =>
      spec
        .given(given)
        .when({ type: 'FlagForRescheduling', visitId, reason: 'kit-withdrawn', kitId, now: later })
        .then([
          { type: 'VisitFlaggedForRescheduling', data: { visitId, reason: 'kit-withdrawn', kitId, flaggedAt: later } },
        ]));
  });

  describe('confirmed', () => {
    const given = [bookingStarted, planned, confirmed];

    it('does nothing when confirmed again', () => spec.given(given).when(confirm).then([]));
    it('is cancelled', () => spec.given(given).when(cancel).thenState({ status: 'cancelled', sequence: 2 }));
    it('can be rescheduled', () => spec.given(given).when(startReschedule()).then([rescheduleStarted()]));
  });

  describe('being rescheduled', () => {
    const given = [bookingStarted, planned, confirmed, deviceFlagged('printer'), rescheduleStarted()];

    it('refuses a second reschedule: one at a time', () =>
      spec
        .given(given)
        .when(startReschedule({ ...moved, start: '2026-12-02T12:00:00.000Z', end: '2026-12-02T13:00:00.000Z' }))
        .thenThrows(RescheduleInProgress));
    it('moves to the new allocation once it holds, naming the previous one', () =>
      spec.given(given).when({ type: 'CompleteReschedule', visitId, holdId: hold2, now: later }).then([rescheduled]));
    it('is planned again at the new time: confirmation and flag cleared, the change counted', () =>
      spec
        .given(given)
        .when({ type: 'CompleteReschedule', visitId, holdId: hold2, now: later })
        .thenState({
          status: 'planned',
          allocation: { holdId: hold2, ...moved },
          pending: null,
          confirmedBy: null,
          flag: null,
          sequence: 2,
        }));
    it('refuses to complete a reschedule of a hold it is not booking', () =>
      spec
        .given(given)
        .when({ type: 'CompleteReschedule', visitId, holdId: `${visitId}:3`, now: later })
        .thenThrows(notAllowed));
    it('keeps its allocation when the reschedule is refused', () => {
      spec
        .given(given)
        .when({ type: 'RefuseReschedule', visitId, holdId: hold2, resource: kitRef, now: later })
        .then([rescheduleRefused()]);
      spec
        .given(given)
        .when({ type: 'RefuseReschedule', visitId, holdId: hold2, resource: kitRef, now: later })
        .thenState({
          status: 'confirmed',
          allocation: allocation1,
          pending: null,
          confirmedBy: 'citizen',
          sequence: 1,
        });
    });
    it('ignores the refusal of a hold it is not booking', () =>
      spec
        .given(given)
        .when({ type: 'RefuseReschedule', visitId, holdId: `${visitId}:3`, resource: kitRef, now: later })
        .then([]));
  });

  describe('rescheduled', () => {
    const given = [bookingStarted, planned, rescheduleStarted(), rescheduled];

    it('does nothing when the reschedule is completed again', () =>
      spec.given(given).when({ type: 'CompleteReschedule', visitId, holdId: hold2, now: later }).then([]));
    it('does nothing when a late refusal of it arrives', () =>
      spec
        .given(given)
        .when({ type: 'RefuseReschedule', visitId, holdId: hold2, resource: kitRef, now: later })
        .then([]));
    it('numbers the next reschedule’s hold <visitId>:3', () =>
      spec
        .given(given)
        .when(startReschedule(first))
        .then([rescheduleStarted(`${visitId}:3`, first)]));
    it('no longer completes the first booking', () =>
      spec.given(given).when({ type: 'CompleteBooking', visitId, holdId: hold1, now }).thenThrows(notAllowed));
  });

  describe('after a refused reschedule', () => {
    const given = [bookingStarted, planned, rescheduleStarted(), rescheduleRefused()];

    it('does nothing for the refusal again', () =>
      spec
        .given(given)
        .when({ type: 'RefuseReschedule', visitId, holdId: hold2, resource: kitRef, now: later })
        .then([]));
    it('takes a new reschedule, with a new hold id (<visitId>:3)', () =>
      spec
        .given(given)
        .when(startReschedule())
        .then([rescheduleStarted(`${visitId}:3`)]));
    it('does not complete the refused one', () =>
      spec
        .given(given)
        .when({ type: 'CompleteReschedule', visitId, holdId: hold2, now: later })
        .thenThrows(notAllowed));
  });

  describe('cancelled', () => {
    const given = [bookingStarted, planned, cancelled];

    it('does nothing when cancelled again', () => spec.given(given).when(cancel).then([]));
    it('does nothing when a participant is removed', () => spec.given(given).when(removeParticipant(caseA)).then([]));
    it('still refuses to remove a case that never took part', () =>
      spec.given(given).when(removeParticipant(stranger)).thenThrows(NotAParticipant));
    it('cannot be confirmed, rescheduled or flagged', () => {
      spec.given(given).when(confirm).thenThrows(notAllowed);
      spec.given(given).when(startReschedule()).thenThrows(notAllowed);
      spec.given(given).when(flagDevice('printer')).thenThrows(notAllowed);
    });
  });
});

describe('a visit cancelled while a reschedule was being booked', () => {
  const given = [bookingStarted, planned, rescheduleStarted(), cancelled];
  it('takes the visit manager’s late completion as a no-op: it stays cancelled', () => {
    spec.given(given).when({ type: 'CompleteReschedule', visitId, holdId: hold2, now: later }).then([]);
  });
  it('takes the late refusal as a no-op (the manager can move on, never stuck on it)', () => {
    spec.given(given).when({ type: 'RefuseReschedule', visitId, holdId: hold2, resource: kitRef, now: later }).then([]);
  });
  it('offers nothing', () => expect(allowedVisitActions(stateOf(given))).toEqual([]));
});
