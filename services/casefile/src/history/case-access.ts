/**
 * Who may read a case, in which role, and the admission every read of case data passes (history, export, state,
 * case feed): the case must exist for the caller's tenant (else 404, as if absent), a caller who sees all personal
 * data must state a purpose, and the read is recorded in the access log before anything is served.
 */
import { HttpProblem, notFound, type Principal, principalOf, type Role } from '@buergerkoffer/shared/http';
import type { FastifyRequest } from 'fastify';
import type { CasefileDeps } from '../deps.ts';
import { type AccessedResource, recordAccess } from './access-log.ts';
import { disclosureFor } from './disclosure.ts';
import { caseExists } from './history.ts';

/** Staff roles that work on cases read their history (with the personal data their work needs); devices do not. */
export const HISTORY_READERS: readonly Role[] = [
  'auditor',
  'admin',
  'intake-agent',
  'eligibility-officer',
  'scheduler',
  'field-officer',
];

export const fieldError = (field: string, message: string) =>
  new HttpProblem(400, 'validation', '1 invalid field(s)', { errors: [{ field, message }] });

/** The role the caller reads in, as the access log records it: the one that grants the widest view. */
export function readingRole(principal: Principal): Role {
  return (
    (['auditor', 'admin', ...HISTORY_READERS] as const).find((role) => principal.roles.includes(role)) ??
    principal.roles[0] ??
    'auditor'
  );
}

export async function admitCaseRead(
  deps: CasefileDeps,
  request: FastifyRequest,
  caseId: string,
  resource: AccessedResource,
  query: Record<string, string | number | undefined>,
  purpose: string | undefined,
) {
  const principal = principalOf(request);
  const allowed = disclosureFor(principal.roles);
  if (allowed === 'all' && !purpose) {
    throw fieldError('querystring.purpose', 'auditors and admins state the purpose of every read of a case');
  }
  if (!(await caseExists(deps.store, principal.tenantId, caseId))) throw notFound(`no case ${caseId}`);
  await recordAccess(
    deps.store,
    {
      tenantId: principal.tenantId,
      caseId,
      actor: { id: principal.subject, role: readingRole(principal) },
      resource,
      purpose: purpose ?? null,
      query: Object.fromEntries(Object.entries(query).filter(([, value]) => value !== undefined)) as Record<
        string,
        string | number
      >,
      correlationId: String(request.id),
      traceparent: typeof request.headers.traceparent === 'string' ? request.headers.traceparent : undefined,
    },
    deps.now(),
  );
  return { principal, allowed };
}
