/**
 * The case as it stood at a point in its history, folded from the history itself (not from any service's
 * projection): time travel for auditors. A pure fold over stored events of every service; it reads the fields it
 * needs and tolerates events it does not know (later services', newer schema versions), which it counts.
 * Personal data is not part of the state: the history shows it to those who may see it.
 */
import type { StoredEvent } from '@buergerkoffer/shared/event-sourcing';
import { CASE_RECORD_ACCESSED } from './access-log.ts';
import { serviceOf } from './services.ts';

export type CaseStatus =
  | 'received'
  | 'awaiting-decision'
  | 'evidence-requested'
  | 'approved'
  | 'rejected'
  | 'closed'
  | 'withdrawn';

export interface Decision {
  readonly outcome: 'approved' | 'rejected' | 'evidence-requested' | 'reopened' | 'closed';
  readonly by: string | null;
  readonly at: string;
  readonly reason: string | null;
  readonly override: string | null;
  readonly ruleSetVersion: number | null;
  readonly position: number;
}

export interface CaseState {
  readonly caseId: string;
  readonly status: CaseStatus;
  readonly reference: string | null;
  readonly channel: string | null;
  readonly openedAt: string | null;
  readonly requestedServices: readonly string[];
  readonly evidence: readonly { readonly evidenceId: string; readonly kind: string; readonly attachedAt: string }[];
  readonly intake: { readonly status: 'none' | 'open' | 'withdrawn'; readonly withdrawnAt: string | null };
  readonly eligibility: {
    readonly status: 'none' | 'awaiting-decision' | 'evidence-requested' | 'approved' | 'rejected' | 'closed';
    readonly precheckOutcome: string | null;
    readonly ruleSetVersion: number | null;
    readonly rules: readonly { readonly rule: string; readonly passed: boolean; readonly detail: string }[];
    readonly checkedAt: string | null;
  };
  readonly decisions: readonly Decision[];
  /** The last event folded in. */
  readonly position: number;
  readonly recordedAt: string | null;
  readonly events: number;
  readonly accesses: number;
  /** Events of types this fold does not interpret, by service (they are in the history all the same). */
  readonly uninterpreted: Readonly<Record<string, number>>;
}

export const initialCaseState = (caseId: string): CaseState => ({
  caseId,
  status: 'received',
  reference: null,
  channel: null,
  openedAt: null,
  requestedServices: [],
  evidence: [],
  intake: { status: 'none', withdrawnAt: null },
  eligibility: { status: 'none', precheckOutcome: null, ruleSetVersion: null, rules: [], checkedAt: null },
  decisions: [],
  position: 0,
  recordedAt: null,
  events: 0,
  accesses: 0,
  uninterpreted: {},
});

type Data = Record<string, unknown>;
const str = (value: unknown): string | null => (typeof value === 'string' ? value : null);
const num = (value: unknown): number | null => (typeof value === 'number' ? value : null);
const strings = (value: unknown): string[] =>
  Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];

function decision(outcome: Decision['outcome'], data: Data, event: StoredEvent): Decision {
  return {
    outcome,
    by: str(data.decidedBy),
    at: str(data.decidedAt) ?? str(data.closedAt) ?? event.recordedAt.toISOString(),
    reason: str(data.reason) ?? str(data.missing),
    override: str(data.override),
    ruleSetVersion: num(data.ruleSetVersion),
    position: event.position,
  };
}

function overall(state: CaseState): CaseStatus {
  if (state.intake.status === 'withdrawn') return 'withdrawn';
  return state.eligibility.status === 'none' ? 'received' : state.eligibility.status;
}

export function evolveCase(state: CaseState, event: StoredEvent): CaseState {
  const data = (typeof event.data === 'object' && event.data !== null ? event.data : {}) as Data;
  const base = {
    ...state,
    position: event.position,
    recordedAt: event.recordedAt.toISOString(),
    events: state.events + 1,
  };
  const next = ((): CaseState => {
    switch (event.type) {
      case 'CaseOpened':
        return {
          ...base,
          reference: str(data.reference),
          channel: str(data.channel),
          openedAt: str(data.openedAt),
          requestedServices: strings(data.requestedServices),
          intake: { status: 'open', withdrawnAt: null },
        };
      case 'ServicesChanged':
        return { ...base, requestedServices: strings(data.requestedServices) };
      case 'EvidenceAttached':
        return {
          ...base,
          evidence: [
            ...base.evidence,
            {
              evidenceId: str(data.evidenceId) ?? '',
              kind: str(data.kind) ?? 'other',
              attachedAt: str(data.attachedAt) ?? base.recordedAt,
            },
          ],
        };
      case 'CaseWithdrawn':
        return { ...base, intake: { status: 'withdrawn', withdrawnAt: str(data.withdrawnAt) } };
      case 'ContactPersonUpdated':
        return base;
      case 'CaseReferenceAssigned': // the tenant's yearly counter, on its own stream; CaseOpened carries it too
        return { ...base, reference: base.reference ?? str(data.reference) };
      case 'AssessmentPrechecked': {
        const precheck = (data.precheck ?? {}) as Data;
        const rules = Array.isArray(precheck.rules) ? (precheck.rules as Data[]) : [];
        return {
          ...base,
          eligibility: {
            // A re-check while a decision stands leaves the decision in place.
            status: base.eligibility.status === 'none' ? 'awaiting-decision' : base.eligibility.status,
            precheckOutcome: str(precheck.outcome),
            ruleSetVersion: num(precheck.ruleSetVersion),
            rules: rules.map((rule) => ({
              rule: str(rule.rule) ?? '',
              passed: rule.passed === true,
              detail: str(rule.detail) ?? '',
            })),
            checkedAt: str(data.checkedAt),
          },
        };
      }
      case 'EvidenceRequested':
        return {
          ...base,
          eligibility: { ...base.eligibility, status: 'evidence-requested' },
          decisions: [...base.decisions, decision('evidence-requested', data, event)],
        };
      case 'NecessityConfirmed':
        return {
          ...base,
          eligibility: {
            ...base.eligibility,
            status: 'approved',
            ruleSetVersion: num(data.ruleSetVersion) ?? base.eligibility.ruleSetVersion,
          },
          decisions: [...base.decisions, decision('approved', data, event)],
        };
      case 'CaseRejected':
        return {
          ...base,
          eligibility: {
            ...base.eligibility,
            status: 'rejected',
            ruleSetVersion: num(data.ruleSetVersion) ?? base.eligibility.ruleSetVersion,
          },
          decisions: [...base.decisions, decision('rejected', data, event)],
        };
      case 'AssessmentReopened':
        return {
          ...base,
          eligibility: { ...base.eligibility, status: 'awaiting-decision' },
          decisions: [...base.decisions, decision('reopened', data, event)],
        };
      case 'AssessmentClosed':
        return {
          ...base,
          eligibility: { ...base.eligibility, status: 'closed' },
          decisions: [...base.decisions, decision('closed', data, event)],
        };
      case CASE_RECORD_ACCESSED:
        return { ...base, accesses: base.accesses + 1 };
      default: {
        const service = serviceOf(event.stream);
        return { ...base, uninterpreted: { ...base.uninterpreted, [service]: (base.uninterpreted[service] ?? 0) + 1 } };
      }
    }
  })();
  return { ...next, status: overall(next) };
}

/** Where time travel stops: after a global position, or at a point in time (inclusive). */
export type AsOf = { readonly position: number } | { readonly time: Date };

export const includes = (asOf: AsOf | undefined, event: StoredEvent): boolean =>
  asOf === undefined ||
  ('position' in asOf ? event.position <= asOf.position : event.recordedAt.getTime() <= asOf.time.getTime());

/** Folds the events up to `asOf`; undefined when none of them is that old (the case did not exist yet). */
export async function caseStateAt(
  caseId: string,
  events: AsyncIterable<StoredEvent>,
  asOf?: AsOf,
): Promise<CaseState | undefined> {
  let state = initialCaseState(caseId);
  for await (const event of events) {
    // Positions rise through the history; times almost do (clocks of several writers), so a time bound reads on.
    if (asOf && 'position' in asOf && event.position > asOf.position) break;
    if (includes(asOf, event)) state = evolveCase(state, event);
  }
  return state.events === 0 ? undefined : state;
}
