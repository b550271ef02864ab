import { DeciderSpecification } from '@buergerkoffer/shared/testing';
import { describe, expect, it } from 'vitest';
import type { CaseCommand } from './case.commands.ts';
import { caseDecider, toCaseStreamName } from './case.decider.ts';
import {
  CaseAlreadyOpened,
  CaseNotFound,
  CaseWithdrawnError,
  DuplicateServices,
  InvalidServiceChange,
} from './case.errors.ts';
import type { CaseEvent } from './case.events.ts';
import { caseEvent } from './case.events.ts';

const spec = DeciderSpecification.for(caseDecider);
const caseId = '0192f0c4-7c1a-7000-8000-0000000000aa';
const subjectId = '0192f0c4-7c1a-7000-8000-0000000000bb';
const now = '2026-11-25T10:00:00.000Z';
const later = '2026-11-26T09:30:00.000Z';

const open: Extract<CaseCommand, { type: 'OpenCase' }> = {
  type: 'OpenCase',
  caseId,
  reference: 'MB-2026-00042',
  applicant: {
    subjectId,
    givenNames: 'Erika',
    familyName: 'Mustermann',
    birthDate: '1941-03-12',
    address: { street: 'Hauptstraße', houseNumber: '5', postalCode: '44787', city: 'Bochum' },
  },
  requestedServices: ['id-card', 'registration-certificate'],
  mobility: { careLevel: 4, disabilityMarks: [], permanentlyHomebound: true },
  channel: 'phone-115',
  contactPerson: { name: 'Max Mustermann', relation: 'relative' },
  possibleDuplicateOf: [],
  now,
};
const { type: _t, now: _n, ...openedData } = open;
const opened: CaseEvent = {
  type: 'CaseOpened',
  data: {
    ...openedData,
    requestedServices: ['id-card', 'registration-certificate'],
    possibleDuplicateOf: [],
    openedAt: now,
  },
};
const withdrawn: CaseEvent = {
  type: 'CaseWithdrawn',
  data: { caseId, subjectId, reason: 'moved to a care home', withdrawnAt: later },
};

describe('the intake case', () => {
  it('lives in the stream intakeCase-<caseId>', () => {
    expect(toCaseStreamName(caseId)).toBe(`intakeCase-${caseId}`);
  });

  describe('that does not exist yet', () => {
    it('is opened for its applicant with the services requested', () => {
      spec.given([]).when(open).then([opened]);
      expect(caseEvent.parse(opened)).toEqual(opened);
    });

    it('refuses a service requested twice, naming it', () => {
      spec
        .given([])
        .when({ ...open, requestedServices: ['id-card', 'passport', 'id-card'] })
        .thenThrows(DuplicateServices, /id-card/);
    });

    it('keeps a probable duplicate as a flag, not a refusal', () => {
      const other = '0192f0c4-7c1a-7000-8000-0000000000cc';
      const { events } = spec
        .given([])
        .when({ ...open, possibleDuplicateOf: [other] })
        .decide();
      expect(events[0]).toMatchObject({ type: 'CaseOpened', data: { possibleDuplicateOf: [other] } });
    });

    it('cannot be changed or withdrawn', () => {
      spec.given([]).when({ type: 'WithdrawCase', caseId, reason: 'x', now }).thenThrows(CaseNotFound);
    });
  });

  describe('that is open', () => {
    it('cannot be opened again', () => {
      spec.given([opened]).when(open).thenThrows(CaseAlreadyOpened);
    });

    it('adds and removes services, recording the resulting list', () => {
      spec
        .given([opened])
        .when({
          type: 'ChangeServices',
          caseId,
          add: ['passport', 'id-card'],
          remove: ['registration-certificate'],
          now: later,
        })
        .then([
          {
            type: 'ServicesChanged',
            data: {
              caseId,
              added: ['passport'],
              removed: ['registration-certificate'],
              requestedServices: ['id-card', 'passport'],
              changedAt: later,
            },
          },
        ]);
    });

    it('refuses to remove a service it does not have, or its last one', () => {
      spec
        .given([opened])
        .when({ type: 'ChangeServices', caseId, add: [], remove: ['passport'], now })
        .thenThrows(InvalidServiceChange, /passport/);
      spec
        .given([opened])
        .when({ type: 'ChangeServices', caseId, add: [], remove: ['id-card', 'registration-certificate'], now })
        .thenThrows(InvalidServiceChange, /at least one/);
    });

    it('changes nothing when asked for what it already has', () => {
      spec
        .given([opened])
        .when({ type: 'ChangeServices', caseId, add: ['id-card'], remove: [], now })
        .then([]);
    });

    it('attaches an evidence reference once (a reference and checksum, never the document)', () => {
      const attach: CaseCommand = {
        type: 'AttachEvidence',
        caseId,
        evidenceId: '0192f0c4-7c1a-7000-8000-0000000000dd',
        kind: 'care-level-notice',
        documentReference: 'dms://bochum/2026/4711',
        checksum: `sha256:${'a'.repeat(64)}`,
        now: later,
      };
      const { events } = spec.given([opened]).when(attach).decide();
      expect(events).toHaveLength(1);
      const attached = events[0] as CaseEvent;
      expect(caseEvent.parse(attached)).toEqual(attached);
      spec.given([opened, attached]).when(attach).then([]);
    });

    it('updates or removes its contact person, bound to the applicant as data subject', () => {
      spec
        .given([opened])
        .when({
          type: 'UpdateContactPerson',
          caseId,
          contactPerson: { name: 'Pflegedienst Süd', relation: 'carer' },
          now: later,
        })
        .then([
          {
            type: 'ContactPersonUpdated',
            data: {
              caseId,
              subjectId,
              contactPerson: { name: 'Pflegedienst Süd', relation: 'carer' },
              updatedAt: later,
            },
          },
        ]);
      spec
        .given([opened])
        .when({ type: 'UpdateContactPerson', caseId, contactPerson: open.contactPerson ?? null, now })
        .then([]);
    });

    it('is withdrawn with a reason', () => {
      spec
        .given([opened])
        .when({ type: 'WithdrawCase', caseId, reason: 'moved to a care home', now: later })
        .then([withdrawn]);
    });
  });

  describe('that was withdrawn', () => {
    it('refuses every further change', () => {
      spec
        .given([opened, withdrawn])
        .when({ type: 'WithdrawCase', caseId, reason: 'again', now })
        .thenThrows(CaseWithdrawnError);
      spec
        .given([opened, withdrawn])
        .when({ type: 'ChangeServices', caseId, add: ['passport'], remove: [], now })
        .thenThrows(CaseWithdrawnError);
    });

    it('keeps what it had', () => {
      spec.given([opened, withdrawn]).when(open).thenThrows(CaseAlreadyOpened);
      spec
        .given([opened])
        .when({ type: 'WithdrawCase', caseId, reason: 'r', now })
        .thenState({ status: 'withdrawn', withdrawnReason: 'r' });
    });
  });
});
