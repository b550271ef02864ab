import { conformingData, FIELDKIT_OUTCOME_TOPIC, fieldkitOutcomeContracts } from '@buergerkoffer/shared/contracts';
import type { Json, StoredEvent } from '@buergerkoffer/shared/event-sourcing';
import { describe, expect, it } from 'vitest';
import { toIntegrationEvents } from './outcome.relay.ts';

const visitId = '0192f0c4-7c1a-7000-8000-0000000000f1';
const kitId = '0192f0c4-7c1a-7000-8000-00000000c001';
const anna = '0192f0c4-7c1a-7000-8000-00000000d001';
const caseA = '0192f0c4-7c1a-7000-8000-0000000000a1';
const caseB = '0192f0c4-7c1a-7000-8000-0000000000b2';
const submission = {
  submissionId: '0192f0c4-7c1a-7000-8000-00000000e0e0',
  deviceId: 'bk-01',
  baseVersion: 2,
  capturedAt: '2026-12-03T10:15:00+01:00',
  sequence: 4,
  contentHash: 'c'.repeat(64),
};
const recorded = { visitId, kitId, recordedBy: anna, submission };

const stored = (type: string, data: Json, metadata: Record<string, unknown>): StoredEvent => ({
  id: '0192f0c4-7c1a-7000-8000-00000000e001',
  type,
  schemaVersion: 1,
  stream: `fieldVisit-${visitId}`,
  revision: 3,
  position: 42,
  recordedAt: new Date('2026-12-03T09:16:00.000Z'),
  data,
  metadata: { tenantId: 'bochum', ...metadata },
  hash: 'a'.repeat(64),
  prevHash: null,
});

const published = (event: StoredEvent) =>
  toIntegrationEvents(event).map((route) => {
    // Every event the relay builds satisfies the published contract it names.
    expect(conformingData(fieldkitOutcomeContracts, route.event.type, route.event.data)).toBeDefined();
    return { topic: route.topic, type: route.event.type, subject: route.event.subject, data: route.event.data };
  });

describe('the outcome relay', () => {
  it('publishes a visit’s start once per participant case, keyed by case', () => {
    const routes = published(stored('FieldVisitStarted', recorded, { caseIds: [caseA, caseB] }));
    expect(routes.map((r) => [r.topic, r.type, r.subject])).toEqual([
      [FIELDKIT_OUTCOME_TOPIC, 'fieldkit.visit.started.v1', caseA],
      [FIELDKIT_OUTCOME_TOPIC, 'fieldkit.visit.started.v1', caseB],
    ]);
    expect(routes[0]?.data).toMatchObject({ caseId: caseA, capturedAt: submission.capturedAt, recordedBy: anna });
  });

  it('publishes a completed service with its fee and reference, and nothing of the submission', () => {
    const [route] = published(
      stored(
        'ServiceCompleted',
        {
          ...recorded,
          caseId: caseA,
          service: 'id-card',
          producerReference: 'L01X00T47',
          feeCents: 3700,
          paymentMethod: 'cash',
        },
        { caseId: caseA },
      ),
    );
    expect(route).toMatchObject({ type: 'fieldkit.service.completed.v1', subject: caseA });
    expect(route?.data).toEqual({
      visitId,
      kitId,
      recordedBy: anna,
      capturedAt: submission.capturedAt,
      caseId: caseA,
      service: 'id-card',
      producerReference: 'L01X00T47',
      feeCents: 3700,
      paymentMethod: 'cash',
    });
  });

  it('publishes a fault per faulty device, keyed by the kit; a check with every device working publishes nothing', () => {
    const check = (devices: Json) =>
      published(stored('DevicesChecked', { ...recorded, phase: 'start', devices }, { caseIds: [caseA] }));
    const faulty = check([
      { device: 'camera', status: 'faulty' },
      { device: 'printer', status: 'ok' },
      { device: 'fingerprint-sensor', status: 'faulty' },
    ]);
    expect(faulty.map((r) => [r.type, r.subject, (r.data as { device: string }).device])).toEqual([
      ['fieldkit.device.fault.v1', kitId, 'camera'],
      ['fieldkit.device.fault.v1', kitId, 'fingerprint-sensor'],
    ]);
    expect(check([{ device: 'camera', status: 'ok' }])).toEqual([]);
  });

  it('publishes nothing of held records, their review, or the office’s copies of scheduling’s events', () => {
    expect(
      published(
        stored(
          'SubmissionConflictRecorded',
          {
            conflictId: '0192f0c4-7c1a-7000-8000-0000000000cc',
            visitId,
            kitId,
            severity: 'hard',
            fields: ['status'],
            officeVersion: 3,
            record: {},
            submission,
            recordedAt: '2026-12-03T09:16:00.000Z',
          },
          { caseId: caseA },
        ),
      ),
    ).toEqual([]);
    expect(
      published(stored('KitVisitCancelled', { visitId, reason: 'other', cancelledAt: '2026-12-03T09:16:00.000Z' }, {})),
    ).toEqual([]);
  });
});
