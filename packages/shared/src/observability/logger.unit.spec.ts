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
});
