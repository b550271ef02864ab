/** The scheduling service on its own (distributed mode): the shared runtime with scheduling's definition. */
import { runService } from '@buergerkoffer/shared/runtime';
import { definition } from './service.ts';

await runService(definition);
