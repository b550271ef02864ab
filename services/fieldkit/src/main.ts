/** The fieldkit service on its own (distributed mode): the shared runtime with fieldkit's definition. */
import { runService } from '@buergerkoffer/shared/runtime';
import { definition } from './service.ts';

await runService(definition);
