/**
 * A real Server-Sent Events client for tests, on node:http (not a mock of one): frames parsed as they arrive,
 * comment lines (the greeting, heartbeats) counted, and control over reading, to stall like a slow client would.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';

export interface SseEvent {
  readonly id: string | undefined;
  readonly event: string | undefined;
  readonly data: string;
  readonly retry: number | undefined;
}

/** A real SSE client on node:http: frames as they arrive, comments counted, and control over reading. */
export function openEventStream(url: string, headers: Record<string, string>) {
  const events: SseEvent[] = [];
  let comments = 0;
  let status = 0;
  let response: IncomingMessage | undefined;
  const waiters = new Set<() => void>();
  const notify = () => {
    for (const wake of waiters) wake();
  };
  let ended!: () => void;
  const done = new Promise<void>((resolve) => {
    ended = resolve;
  });
  const ready = new Promise<IncomingMessage>((resolve, reject) => {
    const req = httpRequest(url, { headers: { accept: 'text/event-stream', ...headers } }, (res) => {
      response = res;
      status = res.statusCode ?? 0;
      res.setEncoding('utf8');
      let buffer = '';
      res.on('data', (chunk: string) => {
        buffer += chunk;
        for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const fields: Record<string, string> = {};
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) {
              comments++;
              continue;
            }
            const colon = line.indexOf(':');
            const key = colon < 0 ? line : line.slice(0, colon);
            fields[key] =
              (fields[key] ? `${fields[key]}\n` : '') + (colon < 0 ? '' : line.slice(colon + 1).trimStart());
          }
          if (fields.data !== undefined) {
            events.push({
              id: fields.id,
              event: fields.event,
              data: fields.data,
              retry: fields.retry ? Number(fields.retry) : undefined,
            });
          }
        }
        notify();
      });
      res.on('close', () => {
        ended();
        notify();
      });
      resolve(res);
    });
    req.on('error', reject);
    req.end();
  });
  return {
    events,
    ready,
    done,
    get status() {
      return status;
    },
    get comments() {
      return comments;
    },
    /** Stops reading from the socket (the server's writes pile up), as a stalled client would. */
    pause: () => response?.pause(),
    close: () => {
      response?.destroy();
    },
    /** Resolves once `predicate` holds, or rejects after `timeoutMs`. */
    /** A give-up, not a measure of speed: generous by default (slow machines, PGlite, cold processes). */
    until: (predicate: () => boolean, timeoutMs = 30_000) =>
      new Promise<void>((resolve, reject) => {
        if (predicate()) return resolve();
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`feed condition not met within ${timeoutMs} ms (${events.length} events so far)`));
        }, timeoutMs);
        const check = () => {
          if (!predicate()) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve();
        };
        waiters.add(check);
      }),
  };
}
