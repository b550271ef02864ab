import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.ts';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  return { lines, logger: createLogger({ service: 'test', level: 'info' }, stream) };
}

describe('the logger', () => {
  it('replaces personal data in fields, at the top level and nested', () => {
    const { lines, logger } = capture();
    logger.info(
      { caseId: 'c-1', familyName: 'Mustermann', applicant: { givenNames: 'Erika' }, command: { email: 'e@x.de' } },
      'case opened',
    );
    const text = JSON.stringify(lines);
    expect(text).not.toMatch(/Mustermann|Erika|e@x\.de/);
    expect(lines[0]).toMatchObject({ service: 'test', level: 'info', caseId: 'c-1', msg: 'case opened' });
    expect(lines[0]?.familyName).toBe('[redacted]');
  });

  it('logs requests by path: the query string (a search, a stated purpose) is left out', () => {
    const { lines, logger } = capture();
    logger.info({ req: { method: 'GET', url: '/cases/c-1/history?purpose=Frau%20M%C3%BCller', ip: '10.0.0.1' } }, 'in');
    logger.info({ req: { method: 'GET', url: '/healthz', ip: '10.0.0.1' } }, 'in');
    expect(lines[0]?.req).toEqual({ method: 'GET', url: '/cases/c-1/history?[redacted]', remoteAddress: '10.0.0.1' });
    expect(lines[1]?.req).toMatchObject({ url: '/healthz' });
    expect(JSON.stringify(lines)).not.toContain('M%C3%BCller');
  });
});
