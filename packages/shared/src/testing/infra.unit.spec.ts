import { describe, expect, it } from 'vitest';
import { describeResolution, type ResolvedInfra, redactUrl, requiredButMissing } from './infra.ts';
import { withDatabase } from './postgres.ts';

const resolution = (overrides: Partial<ResolvedInfra> = {}): ResolvedInfra => ({
  runId: 'r1',
  kafka: { available: true, url: '127.0.0.1:9092', source: 'local-process', detail: 'infra/kafka' },
  postgres: { available: true, url: 'postgres://u:secret@h:5432/db', source: 'env', detail: 'DATABASE_URL' },
  kurrentdb: { available: false, reason: 'no container runtime' },
  ...overrides,
});

describe('infrastructure resolution', () => {
  describe('in CI', () => {
    it('requires Kafka and PostgreSQL, but not KurrentDB', () => {
      expect(requiredButMissing(resolution(), { CI: 'true' })).toEqual([]);
      const missing = requiredButMissing(
        resolution({
          kafka: { available: false, reason: 'no java' },
          postgres: { available: false, reason: 'refused' },
        }),
        { CI: 'true' },
      );
      expect(missing).toEqual(['kafka: no java', 'postgres: refused']);
    });
  });

  describe('outside CI', () => {
    it('lets a missing component through, to be reported as not run', () => {
      expect(requiredButMissing(resolution({ kafka: { available: false, reason: 'x' } }), {})).toEqual([]);
    });
  });

  it('reports every component, saying plainly which suites are not run and why, without passwords', () => {
    const lines = describeResolution(resolution());
    expect(lines).toHaveLength(3);
    expect(lines[1]).toBe('infra: postgres → postgres://u:***@h:5432/db (env: DATABASE_URL)');
    expect(lines[2]).toBe('infra: kurrentdb NOT AVAILABLE — its suites are NOT RUN: no container runtime');
    expect(redactUrl('kurrentdb://admin:changeit@h:2113?tls=false')).toBe('kurrentdb://admin:***@h:2113?tls=false');
  });

  it('points a connection URL at another database, keeping everything else', () => {
    expect(withDatabase('postgres://u:p@h:5432/postgres?sslmode=disable', 't_1')).toBe(
      'postgres://u:p@h:5432/t_1?sslmode=disable',
    );
  });
});
