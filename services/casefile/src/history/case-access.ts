/**
 * Who may read a case's history, and the admission every read of case data passes (history, export, state, case
 * feed): the case must exist for the caller's tenant (else 404, as if absent), then the shared admission of personal
 * reads (shared/privacy/personal-read.ts): purpose, disclosure, the access record, no caching.
 */
import { HttpProblem, notFound, principalOf, type Role } from '@buergerkoffer/shared/http';
import { type AccessLog, admitPersonalRead, disclosureOf, type PurposeQuery } from '@buergerkoffer/shared/privacy';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { CasefileDeps } from '../deps.ts';
import { caseExists } from './history.ts';

export { purposeQuery, readingRole } from '@buergerkoffer/shared/privacy';

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

export async function admitCaseRead(
  deps: CasefileDeps & { readonly accessLog: AccessLog },
  request: FastifyRequest,
  reply: FastifyReply | undefined,
  caseId: string,
  resource: 'history' | 'state' | 'export' | 'feed',
  query: PurposeQuery,
) {
  const principal = principalOf(request);
  // The purpose first (a refused purpose records nothing), then whether the case is there for this tenant.
  disclosureOf(principal, query.purpose);
  if (!(await caseExists(deps.store, principal.tenantId, caseId))) throw notFound(`no case ${caseId}`);
  return admitPersonalRead(deps.accessLog, request, reply, { caseId, resource, query });
}
