/**
 * The case's transition table and its decider agree: in every status a case can be in, each kind of command is
 * refused (with the case's own error) exactly when `caseTransitions.allowed` leaves it out — so the actions a view
 * offers are the ones `decide` accepts.
 */
import { DomainError, fold } from '@buergerkoffer/shared/event-sourcing';
import { describe, expect, it } from 'vitest';
import type { CaseCommand } from './case.commands.ts';
import { type CaseState, caseDecider, caseTransitions } from './case.decider.ts';
import { CaseAlreadyOpened, CaseNotFound, CaseWithdrawnError } from './case.errors.ts';
import type { CaseEvent } from './case.events.ts';

const caseId = '0192f0c4-7c1a-7000-8000-0000000000aa';
const now = '2026-11-25T10:00:00.000Z';
const open: Extract<CaseCommand, { type: 'OpenCase' }> = {
  type: 'OpenCase',
  caseId,
  reference: 'MB-2026-00042',
  applicant: {
    subjectId: '0192f0c4-7c1a-7000-8000-0000000000bb',
    givenNames: 'Erika',
    familyName: 'Mustermann',
    birthDate: '1941-03-12',
    address: { street: 'Hauptstraße', houseNumber: '5', postalCode: '44787', city: 'Bochum' },
  },
  requestedServices: ['id-card', 'registration-certificate'],
  mobility: { careLevel: 4, disabilityMarks: [], permanentlyHomebound: true },
  channel: 'phone-115',
  possibleDuplicateOf: [],
  now,
};
/** One command of each kind, each valid for an open case. */
const commands: CaseCommand[] = [
  open,
  { type: 'ChangeServices', caseId, add: ['passport'], remove: [], now },
  {
    type: 'AttachEvidence',
    caseId,
    evidenceId: '0192f0c4-7c1a-7000-8000-0000000000cc',
    kind: 'care-level-notice',
    documentReference: 'dms://1',
    checksum: `sha256:${'a'.repeat(64)}`,
    now,
  },
  { type: 'UpdateContactPerson', caseId, contactPerson: { name: 'Max', relation: 'relative' }, now },
  { type: 'WithdrawCase', caseId, reason: 'moved away', now },
];

const stateAfter = (...commandsApplied: CaseCommand[]): CaseState => {
  const events: CaseEvent[] = [];
  for (const command of commandsApplied) events.push(...caseDecider.decide(command, fold(caseDecider, events)));
  return fold(caseDecider, events);
};
const withdraw = commands[4] as CaseCommand;
const states: [string, CaseState][] = [
  ['none', stateAfter()],
  ['open', stateAfter(open)],
  ['withdrawn', stateAfter(open, withdraw)],
];
const refusals = [CaseNotFound, CaseAlreadyOpened, CaseWithdrawnError];

describe('the case transition table', () => {
  for (const [label, state] of states) {
    it(`agrees with decide for a case that is ${label}`, () => {
      expect(state.status).toBe(label);
      const allowed = caseTransitions.allowed(state);
      for (const command of commands) {
        let refused: unknown;
        try {
          caseDecider.decide(command, state);
        } catch (error) {
          refused = error;
        }
        if (allowed.includes(command.type)) expect(refused, command.type).toBeUndefined();
        else {
          expect(refused, command.type).toBeInstanceOf(DomainError);
          expect(refusals.some((type) => refused instanceof type)).toBe(true);
        }
      }
    });
  }

  it('offers nothing on a withdrawn case and everything but opening on an open one', () => {
    expect(caseTransitions.allowed(stateAfter(open, withdraw))).toEqual([]);
    expect(caseTransitions.allowed(stateAfter(open))).toEqual([
      'ChangeServices',
      'AttachEvidence',
      'UpdateContactPerson',
      'WithdrawCase',
    ]);
  });
});
