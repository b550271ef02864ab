/** The eligibility service on its own (distributed mode): the shared runtime with eligibility's definition. */
import { runService } from '@buergerkoffer/shared/runtime';
import { definition } from './service.ts';

await runService(definition);
