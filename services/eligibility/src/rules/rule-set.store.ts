import { type EventStore, loadStream, type StoredEvent } from '@buergerkoffer/shared/event-sourcing';
import { type RuleSetState, ruleSetDecider, toRuleSetStreamName } from './rule-set.decider.ts';
import type { RuleSetEvent } from './rule-set.events.ts';

export const decodeRuleSetEvent = (event: StoredEvent): RuleSetEvent | undefined =>
  event.type === 'RuleSetPublished' ? ({ type: event.type, data: event.data } as RuleSetEvent) : undefined;

export async function loadRuleSets(
  store: EventStore,
  tenantId: string,
): Promise<{ state: RuleSetState; revision: number }> {
  return loadStream(store, ruleSetDecider, decodeRuleSetEvent, toRuleSetStreamName(tenantId));
}
