/**
 * The admission of every HTTP read that shows personal data, in any service: the purpose the caller reads under
 * (a closed list; staff default to their case work, auditors and admins state one), the disclosure the one policy
 * grants for it, the read recorded in the case's access log before anything is served, and `Cache-Control:
 * no-store` on the answer — no browser, proxy or CDN keeps it.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { fileReference } from '../contracts/privacy.ts';
import { type Principal, principalOf, type Role } from '../http/auth.ts';
import { forbidden, HttpProblem } from '../http/problem.ts';
import type { AccessLog } from './access-log.ts';
import {
  DEFAULT_PURPOSE,
  type Disclosure,
  DisclosureRefusedError,
  disclosureFor,
  mustStatePurpose,
  NOTHING,
  PURPOSES,
  type Purpose,
} from './disclosure-policy.ts';

/** The query parameters of a personal read: why (closed list) and under which file, if the reader has one. */
export const purposeQuery = {
  purpose: z.enum(PURPOSES).optional(),
  reference: fileReference.optional(),
};

export interface PurposeQuery {
  readonly purpose?: Purpose | undefined;
  readonly reference?: string | undefined;
}

/** The role a reader reads in, as the access log records it: the one that grants the widest view. */
export function readingRole(principal: Principal): Role {
  const order: readonly Role[] = ['auditor', 'admin', 'eligibility-officer', 'field-officer', 'scheduler'];
  return order.find((role) => principal.roles.includes(role)) ?? principal.roles[0] ?? 'auditor';
}

/**
 * The caller's disclosure for the purpose they read under: 400 naming `querystring.purpose` when a caller without a
 * default purpose states none, 403 when none of their roles may read for it.
 */
export function disclosureOf(principal: Principal, purpose: Purpose | undefined): Disclosure {
  if (purpose === undefined && mustStatePurpose(principal.roles)) {
    throw new HttpProblem(400, 'validation', '1 invalid field(s)', {
      errors: [
        {
          field: 'querystring.purpose',
          message: `auditors and admins state the purpose of every read: one of ${PURPOSES.join(', ')}`,
        },
      ],
    });
  }
  try {
    return disclosureFor(principal.roles, purpose);
  } catch (error) {
    if (error instanceof DisclosureRefusedError) throw forbidden(error.message);
    throw error;
  }
}

/**
 * What the answer to a write shows its writer: what their roles' case work may see, or nothing personal (an admin
 * correcting a case reads nothing by it). Writes are not reads: the writer's own input is echoed, nothing recorded.
 */
export function caseWorkDisclosure(principal: Principal): Disclosure {
  try {
    return disclosureFor(principal.roles, DEFAULT_PURPOSE);
  } catch (error) {
    if (error instanceof DisclosureRefusedError) return NOTHING;
    throw error;
  }
}

/** Records that the caller read the case's personal data under `disclosure` (e.g. in the answer to a write). */
export async function recordRead(
  log: AccessLog,
  request: FastifyRequest,
  caseId: string,
  resource: string,
  disclosure: Disclosure,
  reference?: string,
): Promise<void> {
  const principal = principalOf(request);
  await log.record({
    tenantId: principal.tenantId,
    caseId,
    actor: { id: principal.subject, role: readingRole(principal) },
    resource,
    purpose: disclosure.purpose,
    reference,
    correlationId: String(request.id),
    traceparent: typeof request.headers.traceparent === 'string' ? request.headers.traceparent : undefined,
  });
}

/**
 * Admits a read of one case's personal data: decides the disclosure, records the read (coalesced, access-log.ts)
 * and marks the answer not to be stored. Call it after the case was found for the caller's tenant (a read of a case
 * that is not there records nothing) and before anything is served.
 */
export async function admitPersonalRead(
  log: AccessLog,
  request: FastifyRequest,
  reply: FastifyReply | undefined,
  read: { readonly caseId: string; readonly resource: string; readonly query: PurposeQuery },
): Promise<{ principal: Principal; disclosure: Disclosure }> {
  const principal = principalOf(request);
  const disclosure = disclosureOf(principal, read.query.purpose);
  await recordRead(log, request, read.caseId, read.resource, disclosure, read.query.reference);
  reply?.header('cache-control', 'no-store');
  return { principal, disclosure };
}
