/** Prometheus metrics of an event store: appends (calls, events, failures by kind) and their duration. */
import { Counter, Histogram, type Registry } from 'prom-client';
import type { EventStore } from '../event-sourcing/types.ts';

/** The same store, counting its appends into `registry`. */
export function withStoreMetrics(store: EventStore, registry: Registry): EventStore {
  const appends = new Counter({
    name: 'eventstore_appends_total',
    help: 'Appends by outcome (ok, replayed, or the error code)',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  const events = new Counter({
    name: 'eventstore_appended_events_total',
    help: 'Events appended',
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'eventstore_append_duration_seconds',
    help: 'Duration of appends',
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers: [registry],
  });
  return new Proxy(store, {
    get(target, property, receiver) {
      if (property !== 'append') {
        const value = Reflect.get(target, property, receiver);
        return typeof value === 'function' ? value.bind(target) : value;
      }
      const append: EventStore['append'] = async (stream, toAppend, expected) => {
        const stop = duration.startTimer();
        try {
          const result = await target.append(stream, toAppend, expected);
          appends.inc({ outcome: result.replayed ? 'replayed' : 'ok' });
          if (!result.replayed) events.inc(toAppend.length);
          return result;
        } catch (error) {
          appends.inc({ outcome: (error as { code?: string }).code ?? 'error' });
          throw error;
        } finally {
          stop();
        }
      };
      return append;
    },
  });
}
