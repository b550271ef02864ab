import { PGlite } from '@electric-sql/pglite';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { pgliteSql } from '../event-sourcing/postgres/sql.ts';
import { registerConsumerLagMetric } from './metrics.ts';
import { PostgresEventBus } from './postgres-event-bus.ts';

describe('the consumer-lag metric', () => {
  it('reports each group’s uncommitted messages when scraped', async () => {
    const sql = pgliteSql(await PGlite.create());
    const bus = await PostgresEventBus.open(sql);
    await bus.ensureTopics([{ topic: 'intake.case.v1', partitions: 2 }]);
    const registry = new Registry();
    registerConsumerLagMetric(registry, bus, [{ groupId: 'eligibility', topics: ['intake.case.v1'] }]);
    await bus.publish('intake.case.v1', [
      { key: 'a', value: '1' },
      { key: 'b', value: '2' },
      { key: 'c', value: '3' },
    ]);
    expect(await registry.metrics()).toMatch(/^messaging_consumer_lag_messages\{group="eligibility"\} 3$/m);
    await bus.close();
    await sql.close();
  });
});
