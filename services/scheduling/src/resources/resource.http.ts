/**
 * What the resource routes share: who may read and change what, the command context every write stamps, If-Match
 * as the routes read it (required on changes; optional on a field officer's device report, which must go through
 * whatever the kit's revision) and a new resource's id, which comes from the Idempotency-Key when there is one: a
 * retry whose answer was lost with its idempotency record then finds the resource it created, and creates no other.
 */
import { type CommandContext, deterministicId, uuidv7 } from '@buergerkoffer/shared/event-sourcing';
import { commandKeyOf, ifMatchRevision, principalOf, type Role } from '@buergerkoffer/shared/http';
import type { FastifyRequest } from 'fastify';
import type { SchedulingDeps } from '../deps.ts';

/** What the resource routes need of scheduling's dependencies. */
export type ResourceDeps = Pick<SchedulingDeps, 'store' | 'sql' | 'now'>;

/** Who plans and works visits, and who checks them, sees the tenant's kits and staff. */
export const RESOURCE_READERS: readonly Role[] = ['scheduler', 'field-officer', 'admin', 'auditor'];
/** Who reports a kit's device faulty or repaired: whoever has the kit in hand, and who plans with it. */
export const DEVICE_REPORTERS: readonly Role[] = ['scheduler', 'field-officer', 'admin'];

export type Concurrency = { readonly expectedRevision?: number };

/** If-Match, required: 428 without it, 412 when stale (at the append). */
export const ifMatch = (request: FastifyRequest): Concurrency => ({ expectedRevision: ifMatchRevision(request) });

/** If-Match when sent; without it the change applies to the current revision. */
export const ifMatchIfSent = (request: FastifyRequest): Concurrency =>
  request.headers['if-match'] === undefined ? {} : ifMatch(request);

/** Who asks, stamped into the events' metadata, with the Idempotency-Key (scoped by caller) and If-Match. */
export function contextOf(request: FastifyRequest, concurrency: Concurrency = {}): CommandContext {
  const principal = principalOf(request);
  return {
    tenantId: principal.tenantId,
    actor: { id: principal.subject, role: principal.roles[0] ?? 'unknown' },
    correlationId: String(request.id),
    ...commandKeyOf(request),
    ...concurrency,
  };
}

/** The id of what the request creates: derived from its Idempotency-Key (tenant and caller's), else fresh. */
export function newIdOf(request: FastifyRequest, kind: string, ...scope: readonly string[]): string {
  const { idempotencyKey } = commandKeyOf(request);
  return idempotencyKey === undefined
    ? uuidv7()
    : deterministicId(kind, principalOf(request).tenantId, ...scope, idempotencyKey);
}
