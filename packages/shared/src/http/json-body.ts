/**
 * The one body media type the API accepts, `application/json` (any other is a 415), read strictly: the bytes must
 * be UTF-8 (RFC 8259 §8.1; a lenient decoder turns invalid bytes into U+FFFD, and a name stored that way is silently
 * not what was sent), and no string in it may hold U+0000 or a lone surrogate (PostgreSQL cannot store the one, the
 * other is no text at all: both would fail far from the request as a 500). Parsing is fastify's own (prototype
 * poisoning refused), within the body limit.
 */
import type { FastifyInstance } from 'fastify';
import { HttpProblem } from './problem.ts';

const malformed = (detail: string) => new HttpProblem(400, 'malformed-body', detail);

/** Whether every string (keys too) in a parsed JSON value is well-formed text without U+0000. */
function isCleanText(value: unknown): boolean {
  if (typeof value === 'string') return value.isWellFormed() && !value.includes('\u0000');
  if (Array.isArray(value)) return value.every(isCleanText);
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).every(([key, item]) => isCleanText(key) && isCleanText(item));
  }
  return true;
}

export function registerJsonBody(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(typeof body === 'string' ? Buffer.from(body) : body);
    } catch {
      done(malformed('the body is not valid UTF-8'), undefined);
      return;
    }
    parseJson(request, text, (error, parsed) => {
      if (error) done(error, undefined);
      else if (!isCleanText(parsed))
        done(malformed('a string in the body holds U+0000 or a lone surrogate'), undefined);
      else done(null, parsed);
    });
  });
}
