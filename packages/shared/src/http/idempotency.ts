/**
 * `Idempotency-Key` on POST: the same key with the same request answers what the first request answered (status,
 * Location, ETag, body — marked `Idempotent-Replayed: true`); the same key with another request is a 409; a request
 * still running under the key is a 409 too (retry later; after two minutes it counts as abandoned, e.g. by a crash).
 * Keys are scoped by tenant and caller and kept 24 hours.
 * A 5xx answer is not kept, so the client may retry it.
 */
import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { canonicalJson } from '../event-sourcing/hashing.ts';
import { ensureSchema } from '../event-sourcing/postgres/migrations.ts';
import type { Sql } from '../event-sourcing/postgres/sql.ts';
import { HttpProblem } from './problem.ts';

const SCHEMA = `
create table if not exists http_idempotency (
  tenant_id    text not null,
  subject      text not null,
  key          text not null,
  request_hash text not null,
  state        text not null check (state in ('in-progress', 'done')),
  status       integer,
  headers      jsonb,
  body         text,
  created_at   timestamptz not null default now(),
  primary key (tenant_id, subject, key)
)`;

const KEPT_HEADERS = ['content-type', 'location', 'etag'] as const;

declare module 'fastify' {
  interface FastifyRequest {
    idempotency?: { tenantId: string; subject: string; key: string };
  }
}

export async function registerIdempotency(app: FastifyInstance, sql: Sql): Promise<void> {
  await ensureSchema(sql, SCHEMA);
  let requests = 0;

  const hashOf = (request: FastifyRequest) =>
    createHash('sha256')
      .update(`${request.method} ${request.url}\n${canonicalJson(request.body ?? null)}`)
      .digest('hex');

  app.addHook('preHandler', async (request, reply) => {
    const key = request.headers['idempotency-key'];
    if (request.method !== 'POST' || typeof key !== 'string' || !request.principal) return;
    if (key.length === 0 || key.length > 200) {
      throw new HttpProblem(400, 'validation', 'Idempotency-Key must be 1–200 characters', {
        errors: [{ field: 'headers.idempotency-key', message: 'must be 1–200 characters' }],
      });
    }
    const scope = { tenantId: request.principal.tenantId, subject: request.principal.subject, key };
    const hash = hashOf(request);
    if (++requests % 200 === 0) {
      await sql.query(`delete from http_idempotency where created_at < now() - interval '24 hours'`);
    }
    // A request still 'in progress' after two minutes died with its process: the key may be used again.
    const inserted = await sql.query(
      `insert into http_idempotency (tenant_id, subject, key, request_hash, state) values ($1, $2, $3, $4, 'in-progress')
       on conflict (tenant_id, subject, key) do update
         set request_hash = excluded.request_hash, state = 'in-progress', created_at = now()
         where http_idempotency.state = 'in-progress' and http_idempotency.created_at < now() - interval '2 minutes'
       returning key`,
      [scope.tenantId, scope.subject, key, hash],
    );
    if (inserted.length > 0) {
      request.idempotency = scope;
      return;
    }
    const [row] = await sql.query<{
      request_hash: string;
      state: string;
      status: number | null;
      headers: Record<string, string> | null;
      body: string | null;
    }>(
      'select request_hash, state, status, headers, body from http_idempotency where tenant_id = $1 and subject = $2 and key = $3',
      [scope.tenantId, scope.subject, key],
    );
    if (!row) return; // expired between the two statements: handle as new
    if (row.request_hash !== hash) {
      throw new HttpProblem(409, 'idempotency-key-reused', 'this Idempotency-Key was used for a different request');
    }
    if (row.state !== 'done') {
      throw new HttpProblem(409, 'request-in-progress', 'a request with this Idempotency-Key is still running');
    }
    for (const [name, value] of Object.entries(row.headers ?? {})) reply.header(name, value);
    return reply
      .code(row.status ?? 200)
      .header('idempotent-replayed', 'true')
      .send(row.body ?? '');
  });

  app.addHook('onSend', async (request, reply, payload) => {
    const scope = request.idempotency;
    if (!scope) return payload;
    request.idempotency = undefined;
    if (reply.statusCode >= 500) {
      await sql.query('delete from http_idempotency where tenant_id = $1 and subject = $2 and key = $3', [
        scope.tenantId,
        scope.subject,
        scope.key,
      ]);
      return payload;
    }
    const headers: Record<string, string> = {};
    for (const name of KEPT_HEADERS) {
      const value = reply.getHeader(name);
      if (value !== undefined) headers[name] = String(value);
    }
    await sql.query(
      `update http_idempotency set state = 'done', status = $4, headers = $5::jsonb, body = $6
        where tenant_id = $1 and subject = $2 and key = $3`,
      [
        scope.tenantId,
        scope.subject,
        scope.key,
        reply.statusCode,
        JSON.stringify(headers),
        typeof payload === 'string' ? payload : String(payload ?? ''),
      ],
    );
    return payload;
  });
}
