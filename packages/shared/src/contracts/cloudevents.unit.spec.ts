import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ContractViolation, fromKafkaRecord, type IntegrationEvent, toKafkaRecord } from './cloudevents.ts';

const registry = {
  'test.case.opened.v1': z.object({ caseId: z.string().uuid(), services: z.array(z.string()).min(1) }),
};
const event: IntegrationEvent = {
  id: '0192f0c4-7c1a-7000-8000-000000000001',
  type: 'test.case.opened.v1',
  source: '/buergerkoffer/test',
  subject: '0192f0c4-7c1a-7000-8000-0000000000aa',
  time: '2026-11-25T10:00:00.000Z',
  tenant: 'tenant-a',
  traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
  data: { caseId: '0192f0c4-7c1a-7000-8000-0000000000aa', services: ['id-card'] },
};

describe('CloudEvents in Kafka binary mode', () => {
  it('carries attributes as ce_ headers, data as the JSON value, the case id as the key', () => {
    const record = toKafkaRecord(event);
    expect(record.key).toBe(event.subject);
    expect(JSON.parse(record.value.toString())).toEqual(event.data);
    expect(record.headers).toMatchObject({
      ce_specversion: '1.0',
      ce_id: event.id,
      ce_type: event.type,
      ce_source: event.source,
      ce_subject: event.subject,
      ce_time: event.time,
      ce_tenant: 'tenant-a',
      'content-type': 'application/json',
      traceparent: event.traceparent,
    });
  });

  it('reads back the same event from a consumed message (headers as Buffers, as kafkajs gives them)', () => {
    const record = toKafkaRecord(event);
    const headers = Object.fromEntries(Object.entries(record.headers).map(([k, v]) => [k, Buffer.from(v)]));
    expect(fromKafkaRecord({ key: Buffer.from(record.key), value: record.value, headers }, registry)).toEqual(event);
  });

  it('rejects a message whose data does not match its schema, naming every field', () => {
    const record = toKafkaRecord({ ...event, data: { caseId: 'not-a-uuid', services: [] } });
    const error = (() => {
      try {
        return fromKafkaRecord(record, registry);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(ContractViolation);
    expect((error as ContractViolation).issues.map((i) => i.field)).toEqual(['data.caseId', 'data.services']);
  });

  it('rejects missing attributes, an unknown type, a key that is not the subject, and a value that is not JSON', () => {
    const error = (() => {
      try {
        return fromKafkaRecord(
          { key: 'other', value: Buffer.from('{'), headers: { ce_type: 'nope.v1', ce_subject: 's' } },
          registry,
        );
      } catch (e) {
        return e;
      }
    })() as ContractViolation;
    const fields = error.issues.map((i) => i.field);
    expect(fields).toEqual(
      expect.arrayContaining([
        'ce_specversion',
        'ce_id',
        'ce_source',
        'ce_time',
        'ce_tenant',
        'key',
        'ce_type',
        'data',
      ]),
    );
  });
});
