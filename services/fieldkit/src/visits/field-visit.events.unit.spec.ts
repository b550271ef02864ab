import type { AuditConformance } from '@buergerkoffer/shared/contracts';
import type { Json, StoredEvent } from '@buergerkoffer/shared/event-sourcing';
import { describe, expect, it } from 'vitest';
import { type FieldVisitEvent, fieldVisitCodec } from './field-visit.events.ts';

// Casefile folds the kit's records by the audit contracts: each must carry what they read (checked by the compiler).
const audited: AuditConformance<FieldVisitEvent> = {
  FieldVisitStarted: true,
  FieldVisitEnded: true,
  DevicesChecked: true,
  ServiceCompleted: true,
  ServiceNotCompleted: true,
  SubmissionConflictRecorded: true,
  SubmissionConflictResolved: true,
};

const stored = (event: { type: string; data: Json }): StoredEvent => ({
  ...event,
  id: '0192f0c4-7c1a-7000-8000-000000000001',
  schemaVersion: 1,
  stream: 'fieldVisit-0192f0c4-7c1a-7000-8000-0000000000f1',
  revision: 0,
  position: 1,
  recordedAt: new Date('2026-12-03T10:00:00.000Z'),
  metadata: { tenantId: 'bochum' },
  hash: '',
  prevHash: null,
});

describe('the field visit events', () => {
  it('conform to the audit contracts casefile folds them by', () => {
    expect(Object.values(audited).every(Boolean)).toBe(true);
  });

  it('refuses a record event that lost its submission (what makes it exactly once)', () => {
    const data = {
      visitId: '0192f0c4-7c1a-7000-8000-0000000000f1',
      kitId: '0192f0c4-7c1a-7000-8000-00000000c001',
      recordedBy: '0192f0c4-7c1a-7000-8000-00000000d001',
    };
    expect(() => fieldVisitCodec.decode(stored({ type: 'FieldVisitStarted', data }))).toThrow();
    const submission = {
      submissionId: '0192f0c4-7c1a-7000-8000-00000000e0e0',
      deviceId: 'bk-01',
      baseVersion: 1,
      capturedAt: '2026-12-03T10:15:00+01:00',
      sequence: 1,
      contentHash: 'c'.repeat(64),
    };
    expect(fieldVisitCodec.decode(stored({ type: 'FieldVisitStarted', data: { ...data, submission } }))?.type).toBe(
      'FieldVisitStarted',
    );
  });
});
