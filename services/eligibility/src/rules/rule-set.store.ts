import { type EventStore, loadState, type StoredEvent } from '@buergerkoffer/shared/event-sourcing';
import { type RuleSetState, ruleSetDecider, toRuleSetStreamName } from './rule-set.decider.ts';
import { type RuleSetEvent, ruleSetCodec } from './rule-set.events.ts';

export const decodeRuleSetEvent: (event: StoredEvent) => RuleSetEvent | undefined = ruleSetCodec.decode;

/** The tenant's rule sets (read for every pre-check: the state only, see loadState). */
export async function loadRuleSets(store: EventStore, tenantId: string): Promise<{ state: RuleSetState }> {
  return { state: await loadState(store, ruleSetDecider, decodeRuleSetEvent, toRuleSetStreamName(tenantId)) };
}
