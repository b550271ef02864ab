/**
 * Problem+json for what never reaches a route: fastify's router refusing a URL (`frameworkErrors`: a bad
 * percent-encoding, a path parameter over 100 characters) and Node's HTTP parser refusing a request
 * (`clientErrorHandler`: headers over the limit, a malformed request line, a timeout). Their own answers are plain
 * JSON and quote the URL back; these name the fault and nothing the caller sent. They carry the security headers
 * and a request id like every other answer (no hook has run for them).
 */
import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { PROBLEM_CONTENT_TYPE, problem, toProblem } from './problem.ts';
import { REQUEST_ID_HEADER } from './request-id.ts';
import { RAW_SECURITY_HEADERS } from './security-headers.ts';

/** Fastify's `frameworkErrors` option. */
export function answerFrameworkError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const { problem: body, unexpected } = toProblem(error);
  if (unexpected) request.log.error({ err: error }, 'request failed before routing');
  void reply
    .code(body.status)
    .headers({ ...RAW_SECURITY_HEADERS, [REQUEST_ID_HEADER]: String(request.id) })
    .header('content-type', PROBLEM_CONTENT_TYPE)
    .send(body);
}

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  408: 'Request Timeout',
  431: 'Request Header Fields Too Large',
};

/** Fastify's `clientErrorHandler` (Node's `clientError`): answers on the socket, then closes it. */
export function answerClientError(error: Error & { code?: string }, socket: Socket): void {
  // A reset connection, or one already gone: there is no one to answer.
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const body =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? problem(431, 'headers-too-large', 'the request headers are too large')
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? problem(408, 'request-timeout', 'the request was not received in time')
        : problem(400, 'bad-request', 'the request is not valid HTTP');
  const payload = JSON.stringify(body);
  const headers = {
    ...RAW_SECURITY_HEADERS,
    'content-type': PROBLEM_CONTENT_TYPE,
    'content-length': String(Buffer.byteLength(payload)),
    [REQUEST_ID_HEADER]: randomUUID(),
    connection: 'close',
  };
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${body.status} ${REASONS[body.status] ?? 'Error'}\r\n${Object.entries(headers)
        .map(([name, value]) => `${name}: ${value}\r\n`)
        .join('')}\r\n${payload}`,
    );
  }
  socket.destroy(error);
}
