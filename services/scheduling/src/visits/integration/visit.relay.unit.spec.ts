import {
  conformingData,
  SCHEDULING_SOURCE,
  SCHEDULING_VISIT_TOPIC,
  schedulingVisitContracts,
} from '@buergerkoffer/shared/contracts';
import { EventDecodingError, type Json, type StoredEvent } from '@buergerkoffer/shared/event-sourcing';
import type { RelayRoute } from '@buergerkoffer/shared/messaging';
import { describe, expect, it } from 'vitest';
import { toIntegrationEvents } from './visit.relay.ts';

const tenantId = 'musterstadt';
const visitId = '0192f0c4-7c1a-7000-8000-0000000000f1';
const kitId = '0192f0c4-7c1a-7000-8000-00000000c001';
const anna = '0192f0c4-7c1a-7000-8000-00000000d001';
const ben = '0192f0c4-7c1a-7000-8000-00000000d002';
const caseA = '0192f0c4-7c1a-7000-8000-0000000000a1';
const caseB = '0192f0c4-7c1a-7000-8000-0000000000b2';
const subjectA = '0192f0c4-7c1a-7000-8000-0000000001a1';
const eventId = '0192f0c4-7c1a-7000-8000-00000000e001';
const address = 'Musterstraße 1, 12345 Musterstadt';
const recordedAt = new Date('2026-11-20T09:00:01.000Z');
const now = '2026-11-20T09:00:00.000Z';
const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
const allocation = {
  holdId: `${visitId}:1`,
  kitId,
  staffIds: [anna, ben],
  date: '2026-12-01',
  start: '2026-12-01T09:00:00.000Z',
  end: '2026-12-01T10:00:00.000Z',
  bufferMinutes: 30,
};

/** A visit event as the store holds it: the relay reads the store as stored (personal fields sealed). */
const stored = (type: string, data: Json, caseIds: readonly string[] = [caseA, caseB]): StoredEvent => ({
  id: eventId,
  type,
  schemaVersion: 1,
  stream: `visit-${visitId}`,
  revision: 3,
  position: 42,
  recordedAt,
  data,
  metadata: { tenantId, caseIds, correlationId: 'request-1', traceparent },
  hash: 'a'.repeat(64),
  prevHash: 'b'.repeat(64),
});

const groupPlanned = stored('VisitPlanned', {
  visitId,
  ...allocation,
  participants: [
    { caseId: caseA, services: ['id-card', 'registration'] },
    { caseId: caseB, services: ['life-certificate'] },
  ],
  plannedAt: now,
});
const bookingStarted = (placeAddress: Json) =>
  stored('VisitBookingStarted', {
    visitId,
    ...allocation,
    participants: [{ caseId: caseA, subjectId: subjectA, services: ['id-card'] }],
    place: { kind: 'home', address: placeAddress },
    placeSubjectId: subjectA,
    requiredDevices: ['camera', 'fingerprint-sensor', 'printer', 'signature-pad'],
    requestedBy: 'scheduler-1',
    requestedAt: now,
  });
const sealedAddress = { $pd: 'v1', sub: subjectA, iv: 'aXY=', ct: 'Y2lwaGVy' };

/** Each route's data, as its published schema reads it, is the data sent: it validates and carries nothing more. */
const expectPublishable = (routes: readonly RelayRoute[]) => {
  for (const route of routes) {
    expect(route.topic).toBe(SCHEDULING_VISIT_TOPIC);
    expect(conformingData(schedulingVisitContracts, route.event.type, route.event.data)).toEqual(route.event.data);
    const published = JSON.stringify(route);
    expect(published).not.toContain('Musterstraße');
    expect(published).not.toMatch(/"(address|place|placeSubjectId|subjectId)"/);
  }
};
const subjects = (routes: readonly RelayRoute[]) => routes.map((route) => route.event.subject);

describe('the visit relay', () => {
  describe('for a planned group visit', () => {
    const routes = toIntegrationEvents(groupPlanned);

    it('publishes one planned event per participant, keyed by its case', () => {
      expect(routes.map((route) => route.event.type)).toEqual([
        'scheduling.visit.planned.v1',
        'scheduling.visit.planned.v1',
      ]);
      expect(subjects(routes)).toEqual([caseA, caseB]);
    });
    it('tells each case its own services, and that the visit serves a group', () =>
      expect(routes.map((route) => route.event.data)).toEqual([
        {
          visitId,
          caseId: caseA,
          kitId,
          staffIds: [anna, ben],
          start: allocation.start,
          end: allocation.end,
          services: ['id-card', 'registration'],
          groupVisit: true,
          plannedAt: now,
        },
        {
          visitId,
          caseId: caseB,
          kitId,
          staffIds: [anna, ben],
          start: allocation.start,
          end: allocation.end,
          services: ['life-certificate'],
          groupVisit: true,
          plannedAt: now,
        },
      ]));
    it('carries the stored event’s id, time, tenant and trace', () => {
      for (const route of routes) {
        expect(route.event).toMatchObject({
          id: eventId,
          source: SCHEDULING_SOURCE,
          time: recordedAt.toISOString(),
          tenant: tenantId,
          traceparent,
        });
      }
    });
    it('publishes what the contract accepts, and no address', () => expectPublishable(routes));
  });

  describe('for a planned visit of one case', () => {
    const routes = toIntegrationEvents(
      stored(
        'VisitPlanned',
        { visitId, ...allocation, participants: [{ caseId: caseA, services: ['id-card'] }], plannedAt: now },
        [caseA],
      ),
    );

    it('publishes one planned event, not a group visit', () => {
      expect(subjects(routes)).toEqual([caseA]);
      expect(routes[0]?.event.data).toMatchObject({ caseId: caseA, groupVisit: false, services: ['id-card'] });
      expectPublishable(routes);
    });
  });

  describe('for a cancelled visit', () => {
    const cancelled = (caseIds: readonly string[]) =>
      toIntegrationEvents(
        stored(
          'VisitCancelled',
          { visitId, reason: 'kit-unavailable', cancelledBy: 'scheduler-1', cancelledAt: now },
          caseIds,
        ),
      );

    it('publishes one cancellation per case the event names', () => {
      const routes = cancelled([caseA, caseB]);
      expect(subjects(routes)).toEqual([caseA, caseB]);
      expect(routes.map((route) => route.event.data)).toEqual([
        { visitId, caseId: caseA, reason: 'kit-unavailable', cancelledAt: now },
        { visitId, caseId: caseB, reason: 'kit-unavailable', cancelledAt: now },
      ]);
      expect(routes.every((route) => route.event.type === 'scheduling.visit.cancelled.v1')).toBe(true);
      expectPublishable(routes);
    });
    it('publishes to the cases still on the visit only', () => expect(subjects(cancelled([caseB]))).toEqual([caseB]));
    it('publishes nothing when the event names no case', () => expect(cancelled([])).toEqual([]));
  });

  describe('for a removed participant', () => {
    const routes = toIntegrationEvents(
      stored('ParticipantRemoved', {
        visitId,
        caseId: caseA,
        reason: 'case-withdrawn',
        removedBy: 'scheduling-demand',
        removedAt: now,
      }),
    );

    it('tells the removed case only', () => {
      expect(subjects(routes)).toEqual([caseA]);
      expect(routes[0]?.event).toMatchObject({
        type: 'scheduling.visit.participant-removed.v1',
        data: { visitId, caseId: caseA, reason: 'case-withdrawn', removedAt: now },
      });
      expectPublishable(routes);
    });
  });

  describe('for a confirmed visit', () => {
    const routes = toIntegrationEvents(
      stored('VisitConfirmed', { visitId, confirmedBy: 'institution', recordedBy: 'scheduler-1', confirmedAt: now }),
    );

    it('tells every case the event names', () => {
      expect(subjects(routes)).toEqual([caseA, caseB]);
      expect(routes[1]?.event).toMatchObject({
        type: 'scheduling.visit.confirmed.v1',
        data: { visitId, caseId: caseB, confirmedBy: 'institution', confirmedAt: now },
      });
      expectPublishable(routes);
    });
  });

  describe('for a rescheduled visit', () => {
    const moved = {
      ...allocation,
      holdId: `${visitId}:2`,
      start: '2026-12-02T09:00:00.000Z',
      end: '2026-12-02T10:00:00.000Z',
    };
    const routes = toIntegrationEvents(
      stored('VisitRescheduled', { visitId, ...moved, previous: allocation, rescheduledAt: now }),
    );

    it('tells every case the new time, not the old', () => {
      expect(subjects(routes)).toEqual([caseA, caseB]);
      expect(routes[0]?.event).toMatchObject({
        type: 'scheduling.visit.rescheduled.v1',
        data: { visitId, caseId: caseA, kitId, staffIds: [anna, ben], start: moved.start, end: moved.end },
      });
      expectPublishable(routes);
    });
  });

  describe('for a visit flagged for rescheduling', () => {
    const routes = toIntegrationEvents(
      stored('VisitFlaggedForRescheduling', {
        visitId,
        reason: 'device-faulty',
        kitId,
        device: 'printer',
        flaggedAt: now,
      }),
    );

    it('tells every case that it needs rescheduling, and why', () => {
      expect(subjects(routes)).toEqual([caseA, caseB]);
      expect(routes.map((route) => route.event.data)).toEqual([
        { visitId, caseId: caseA, reason: 'device-faulty', flaggedAt: now },
        { visitId, caseId: caseB, reason: 'device-faulty', flaggedAt: now },
      ]);
      expectPublishable(routes);
    });
  });

  describe('for the booking’s inner steps', () => {
    const refused = { visitId, holdId: `${visitId}:1`, resource: { kind: 'kit', id: kitId }, refusedAt: now };

    it('publishes nothing for a booking started, its address sealed', () =>
      expect(toIntegrationEvents(bookingStarted(sealedAddress))).toEqual([]));
    it('publishes nothing for a booking started before its address was sealed', () =>
      expect(toIntegrationEvents(bookingStarted(address))).toEqual([]));
    it('publishes nothing for a refused booking', () =>
      expect(toIntegrationEvents(stored('VisitBookingRefused', refused))).toEqual([]));
    it('publishes nothing for a reschedule started', () =>
      expect(
        toIntegrationEvents(
          stored('VisitRescheduleStarted', {
            visitId,
            ...allocation,
            holdId: `${visitId}:2`,
            requestedBy: 'scheduler-1',
            requestedAt: now,
          }),
        ),
      ).toEqual([]));
    it('publishes nothing for a refused reschedule', () =>
      expect(toIntegrationEvents(stored('VisitRescheduleRefused', { ...refused, holdId: `${visitId}:2` }))).toEqual(
        [],
      ));
  });

  describe('for an event that is not the visit’s', () => {
    it('publishes nothing', () => expect(toIntegrationEvents(stored('KitRegistered', { kitId }))).toEqual([]));
  });

  describe('for a visit event that does not match its schema', () => {
    it('refuses it, naming the event rather than publishing it', () =>
      expect(() =>
        toIntegrationEvents(stored('VisitCancelled', { visitId, reason: 'bored', cancelledAt: now })),
      ).toThrow(EventDecodingError));
  });
});
