/** An institution: registered once; its group requests recorded on its stream (`institution-<id>`). */
import type { Decider } from '@buergerkoffer/shared/event-sourcing';
import type { InstitutionCommand } from './institution.commands.ts';
import { InstitutionAlreadyRegistered, InstitutionNotFound } from './institution.errors.ts';
import type { InstitutionEvent } from './institution.events.ts';

export type InstitutionState =
  | { readonly status: 'none' }
  | {
      readonly status: 'registered';
      readonly registered: Extract<InstitutionEvent, { type: 'InstitutionRegistered' }>['data'];
      readonly groupRequestIds: readonly string[];
    };

export const toInstitutionStreamName = (institutionId: string): string => `institution-${institutionId}`;

export const institutionDecider: Decider<InstitutionCommand, InstitutionEvent, InstitutionState> = {
  initialState: () => ({ status: 'none' }),
  evolve(state, event) {
    switch (event.type) {
      case 'InstitutionRegistered':
        return { status: 'registered', registered: event.data, groupRequestIds: [] };
      case 'GroupRequested':
        return state.status === 'none'
          ? state
          : { ...state, groupRequestIds: [...state.groupRequestIds, event.data.groupRequestId] };
      default: {
        const unknown: never = event;
        return unknown;
      }
    }
  },
  decide(command, state) {
    switch (command.type) {
      case 'RegisterInstitution': {
        if (state.status !== 'none')
          throw new InstitutionAlreadyRegistered(`institution ${command.institutionId} exists`);
        const { type: _type, now, ...data } = command;
        return [{ type: 'InstitutionRegistered', data: { ...data, registeredAt: now } }];
      }
      case 'RequestGroupAppointment':
        if (state.status === 'none') throw new InstitutionNotFound(`institution ${command.institutionId} not found`);
        if (state.groupRequestIds.includes(command.groupRequestId)) return [];
        return [
          {
            type: 'GroupRequested',
            data: {
              groupRequestId: command.groupRequestId,
              institutionId: command.institutionId,
              caseIds: [...command.caseIds],
              preferredDates: [...command.preferredDates],
              requestedAt: command.now,
            },
          },
        ];
      default: {
        const unknown: never = command;
        return unknown;
      }
    }
  },
};
