/**
 * Reading a visit for someone: its state (folded as stored, the address left out) and — only where the reader's role
 * and purpose may see addresses — the address, opened from the booking's event and its read recorded in each
 * participant case's access log. Whoever may not see it gets "[withheld]", and the value is never decrypted for them.
 */
import { type EventStore, type Json, loadStream } from '@buergerkoffer/shared/event-sourcing';
import type { Principal } from '@buergerkoffer/shared/http';
import {
  type AccessLog,
  type Disclosure,
  type PersonalDataProtector,
  recordRead,
  sees,
  WITHHELD,
} from '@buergerkoffer/shared/privacy';
import type { FastifyRequest } from 'fastify';
import { toVisitStreamName, type VisitState, visitDecider } from './visit.decider.ts';
import { decodeVisitEvent } from './visit-booking.ts';

export interface VisitReadDeps {
  readonly sealedStore: EventStore;
  readonly protector: PersonalDataProtector;
}

export const loadVisit = (store: EventStore, visitId: string) =>
  loadStream(store, visitDecider, decodeVisitEvent, toVisitStreamName(visitId));

const field = (value: Json | undefined, key: string): Json | undefined =>
  value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as { readonly [k: string]: Json | undefined })[key]
    : undefined;

/** The visit's address as the disclosure allows: opened, "[withheld]", or a marker if erased or unreadable. */
export async function addressOf(
  deps: VisitReadDeps,
  principal: Principal,
  visitId: string,
  disclosure: Disclosure,
): Promise<string> {
  if (!sees(disclosure, 'address')) return WITHHELD;
  const [started] = await deps.sealedStore.readStream(toVisitStreamName(visitId), { limit: 1 });
  if (started?.type !== 'VisitBookingStarted') return WITHHELD;
  const opened = await deps.protector.open(
    principal.tenantId,
    started.id,
    field(field(started.data, 'place'), 'address') ?? null,
    'place.address',
  );
  return typeof opened === 'string' ? opened : WITHHELD;
}

/** Records a read of the visit's address in every participant case's access log. */
export async function recordVisitRead(
  log: AccessLog,
  request: FastifyRequest,
  state: VisitState,
  resource: string,
  disclosure: Disclosure,
  reference?: string,
): Promise<void> {
  if (state.status === 'none' || !sees(disclosure, 'address')) return;
  for (const { caseId } of state.participants) await recordRead(log, request, caseId, resource, disclosure, reference);
}
