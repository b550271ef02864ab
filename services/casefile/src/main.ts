/**
 * The casefile service on its own (distributed mode): the shared runtime with casefile's definition. It reads the
 * shared store and does not use the bus, so it needs no Kafka.
 */
import { runService } from '@buergerkoffer/shared/runtime';
import { definition } from './service.ts';

await runService(definition);
