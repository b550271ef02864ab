import { DomainError, fold } from '@buergerkoffer/shared/event-sourcing';
import { DeciderSpecification } from '@buergerkoffer/shared/testing';
import { describe, expect, it } from 'vitest';
import { type DemandCommand, demandDecider, demandStatus, toDemandStreamName } from './demand.decider.ts';
import { CasePlannedElsewhere, DemandNotPlannable } from './demand.errors.ts';
import type { DemandEvent } from './demand.events.ts';

/** No error is expected of the other commands. */
class Never extends Error {}

const spec = DeciderSpecification.for(demandDecider);
const caseId = '0192f0c4-7c1a-7000-8000-0000000000a1';
const applicant = '0192f0c4-7c1a-7000-8000-0000000001a1';
const group = '0192f0c4-7c1a-7000-8000-0000000000e1';
const institution = '0192f0c4-7c1a-7000-8000-0000000000e2';
const visitId = '0192f0c4-7c1a-7000-8000-0000000000f1';
const otherVisit = '0192f0c4-7c1a-7000-8000-0000000000f2';
const now = '2026-11-20T09:00:00.000Z';
const later = '2026-11-21T09:00:00.000Z';

const record: DemandCommand = {
  type: 'RecordDemand',
  caseId,
  applicantSubjectId: applicant,
  requestedServices: ['id-card', 'registration'],
  now,
};
const recorded: DemandEvent = {
  type: 'DemandRecorded',
  data: { caseId, applicantSubjectId: applicant, requestedServices: ['id-card', 'registration'], recordedAt: now },
};
const approve: DemandCommand = { type: 'Approve', caseId, now: later };
const approved: DemandEvent = { type: 'DemandApproved', data: { caseId, approvedAt: later } };
const close = (reason: 'case-withdrawn' | 'case-rejected'): DemandCommand => ({
  type: 'Close',
  caseId,
  reason,
  now: later,
});
const closed = (reason: 'case-withdrawn' | 'case-rejected'): DemandEvent => ({
  type: 'DemandClosed',
  data: { caseId, reason, closedAt: later },
});
const markPlanned = (visit = visitId): DemandCommand => ({ type: 'MarkPlanned', caseId, visitId: visit, now: later });
const plannedOn = (visit = visitId): DemandEvent => ({
  type: 'DemandPlanned',
  data: { caseId, visitId: visit, plannedAt: later },
});
const releaseFrom = (visit = visitId): DemandCommand => ({
  type: 'ReleaseFromVisit',
  caseId,
  visitId: visit,
  reason: 'visit-cancelled',
  now: later,
});
const releasedFrom = (visit = visitId): DemandEvent => ({
  type: 'DemandReleased',
  data: { caseId, visitId: visit, reason: 'visit-cancelled', releasedAt: later },
});
const changeServices = (services: readonly string[]): DemandCommand => ({
  type: 'ChangeServices',
  caseId,
  requestedServices: services,
  now: later,
});
const servicesChanged = (services: string[]): DemandEvent => ({
  type: 'DemandServicesChanged',
  data: { caseId, requestedServices: services, changedAt: later },
});

const statusAfter = (events: readonly DemandEvent[]) => demandStatus(fold(demandDecider, events));

describe('the demand of a case', () => {
  it('lives in schedulingDemand-<caseId>', () => expect(toDemandStreamName(caseId)).toBe(`schedulingDemand-${caseId}`));

  describe('that nothing is known of', () => {
    it('awaits approval', () => expect(statusAfter([])).toBe('awaiting-approval'));
    it('records the opened case’s services', () => spec.given([]).when(record).then([recorded]));
    it('records its group request and institution when it has them', () =>
      spec
        .given([])
        .when({ ...record, groupRequestId: group, institutionId: institution })
        .then([{ ...recorded, data: { ...recorded.data, groupRequestId: group, institutionId: institution } }]));
    it('records an approval that arrives before the case', () => spec.given([]).when(approve).then([approved]));
  });

  describe('recorded, not approved', () => {
    const given = [recorded];

    it('awaits approval', () => expect(statusAfter(given)).toBe('awaiting-approval'));
    it('is to be planned once approved', () => {
      spec.given(given).when(approve).then([approved]);
      expect(statusAfter([...given, approved])).toBe('to-plan');
    });
    it('does nothing when the case is recorded again', () =>
      spec
        .given(given)
        .when({ ...record, requestedServices: ['passport'], now: later })
        .then([]));
    it('follows a change of services', () => {
      spec
        .given(given)
        .when(changeServices(['passport']))
        .then([servicesChanged(['passport'])]);
      spec
        .given(given)
        .when(changeServices(['passport']))
        .thenState({ requestedServices: ['passport'] });
    });
    it('does nothing when the services are the same', () =>
      spec
        .given(given)
        .when(changeServices(['id-card', 'registration']))
        .then([]));
  });

  describe('approved before the case was recorded', () => {
    const given = [approved];

    it('awaits the case’s services', () => expect(statusAfter(given)).toBe('awaiting-approval'));
    it('is to be planned once the case is recorded', () => {
      spec.given(given).when(record).then([recorded]);
      expect(statusAfter([...given, recorded])).toBe('to-plan');
    });
  });

  describe('to be planned', () => {
    const given = [recorded, approved];

    it('does nothing when approved again', () => spec.given(given).when(approve).then([]));
    it('is planned on a visit', () => {
      spec.given(given).when(markPlanned()).then([plannedOn()]);
      expect(statusAfter([...given, plannedOn()])).toBe('planned');
    });
    it('is closed by a rejection', () => {
      spec
        .given(given)
        .when(close('case-rejected'))
        .then([closed('case-rejected')]);
      expect(statusAfter([...given, closed('case-rejected')])).toBe('closed');
    });
    it('is closed by a withdrawal', () => {
      spec
        .given(given)
        .when(close('case-withdrawn'))
        .then([closed('case-withdrawn')]);
      expect(statusAfter([...given, closed('case-withdrawn')])).toBe('closed');
    });
    it('releases from no visit it is not planned on', () => spec.given(given).when(releaseFrom()).then([]));
  });

  describe('planned on a visit', () => {
    const given = [recorded, approved, plannedOn()];

    it('does nothing when marked planned on it again', () => spec.given(given).when(markPlanned()).then([]));
    it('is to be planned again when released from that visit', () => {
      spec.given(given).when(releaseFrom()).then([releasedFrom()]);
      expect(statusAfter([...given, releasedFrom()])).toBe('to-plan');
    });
    it('ignores a release from another visit', () => {
      spec.given(given).when(releaseFrom(otherVisit)).then([]);
      expect(statusAfter([...given, releasedFrom(otherVisit)])).toBe('planned');
    });
    it('refuses another visit: a case is on one visit at a time', () => {
      spec.given([recorded]).when(markPlanned()).thenThrows(DemandNotPlannable);
      spec
        .given([recorded, approved, closed('case-withdrawn')])
        .when(markPlanned())
        .thenThrows(DemandNotPlannable);
      spec.given(given).when(markPlanned(otherVisit)).thenThrows(CasePlannedElsewhere);
    });
    it('is claimed by its visit again as a repeat: nothing new', () => {
      spec.given(given).when(markPlanned()).then([]);
    });
    it('is closed, not planned, once the case is withdrawn', () =>
      expect(statusAfter([...given, closed('case-withdrawn')])).toBe('closed'));
  });

  describe('released from its visit', () => {
    const given = [recorded, approved, plannedOn(), releasedFrom()];

    it('does nothing when released again', () => spec.given(given).when(releaseFrom()).then([]));
  });

  describe('rejected', () => {
    const given = [recorded, approved, closed('case-rejected')];

    it('does nothing when rejected again', () => spec.given(given).when(close('case-rejected')).then([]));
    it('is reopened by a later approval', () => {
      spec.given(given).when(approve).then([approved]);
      spec.given(given).when(approve).thenState({ approved: true, closed: null });
      expect(statusAfter([...given, approved])).toBe('to-plan');
    });
    it('can be rejected again once reopened', () =>
      spec
        .given([...given, approved])
        .when(close('case-rejected'))
        .then([closed('case-rejected')]));
    it('is withdrawn for good', () => {
      spec
        .given(given)
        .when(close('case-withdrawn'))
        .then([closed('case-withdrawn')]);
      spec
        .given([...given, closed('case-withdrawn')])
        .when(approve)
        .then([]);
    });
  });

  describe('withdrawn', () => {
    const given = [recorded, approved, closed('case-withdrawn')];

    it('stays closed when approved', () => {
      spec.given(given).when(approve).then([]);
      expect(statusAfter(given)).toBe('closed');
    });
    it('does nothing when withdrawn again', () => spec.given(given).when(close('case-withdrawn')).then([]));
    it('is not turned into a rejection', () => spec.given(given).when(close('case-rejected')).then([]));
    it('follows no change of services', () =>
      spec
        .given(given)
        .when(changeServices(['passport']))
        .then([]));
  });

  describe('withdrawn before it was approved', () => {
    const given = [recorded, closed('case-withdrawn')];

    it('is never approved', () => {
      spec.given(given).when(approve).then([]);
      expect(statusAfter(given)).toBe('closed');
    });
  });

  describe('any history', () => {
    const commands: readonly DemandCommand[] = [
      record,
      changeServices(['passport']),
      approve,
      close('case-rejected'),
      close('case-withdrawn'),
      markPlanned(),
      releaseFrom(),
    ];
    const histories: readonly (readonly DemandEvent[])[] = [
      [],
      [recorded],
      [approved],
      [recorded, approved],
      [recorded, approved, plannedOn()],
      [recorded, approved, closed('case-rejected')],
      [recorded, approved, closed('case-withdrawn')],
      [recorded, approved, plannedOn(), releasedFrom()],
    ];
    it('takes every command twice as once: safe to repeat (a refused claim refuses again)', () => {
      for (const history of histories) {
        for (const command of commands) {
          const state = fold(demandDecider, history);
          let decided: readonly DemandEvent[];
          try {
            decided = demandDecider.decide(command, state);
          } catch (error) {
            // Claiming a case that is not to plan, or on another visit: refused, and refused again.
            expect(error).toBeInstanceOf(command.type === 'MarkPlanned' ? DomainError : Never);
            expect(() => demandDecider.decide(command, state)).toThrow();
            continue;
          }
          const once = decided.reduce(demandDecider.evolve, state);
          expect(demandDecider.decide(command, once), `${command.type} after ${history.length} events`).toEqual([]);
        }
      }
    });
  });
});
