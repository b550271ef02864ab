/**
 * `Idempotency-Key` on every write (POST, PUT, PATCH, DELETE): the same key with the same request answers what the first request answered (status,
 * Location, ETag, body — marked `Idempotent-Replayed: true`); the same key with another request is a 409; a request
 * still running under the key is a 409 `request-in-progress` with `Retry-After`. Keys are scoped by tenant and caller
 * and kept 24 hours. A 5xx answer is not kept, so the client may retry it.
 *
 * A running request holds its key on a lease (`lease_until`, 6 s by default) that its process renews while it runs
 * (every third of the lease, one statement for all the keys the process holds). A process that dies stops renewing: a retry of the same request takes the key over once the
 * lease has run out — seconds after a crash, not minutes — and runs it again. Handlers therefore make a repeat find
 * what the first run stored (deterministic ids from the key), as a takeover may also meet a run that was only slow.
 * All times are the database's clock, so instances with skewed clocks agree on who holds a key.
 *
 * What is kept: the request's HMAC under the answer's key (never the request), a hash of the key (never the key), and the answer's status
 * and its three headers and body sealed (AES-256-GCM, privacy/crypto.ts) under a key derived from the client's Idempotency-Key and the
 * deployment's secret (HKDF): an answer that holds personal data (the case-change routes answer the case) is not
 * in clear here, and cannot be opened from the database alone — only by a retry that presents the key, which only
 * the client that made the request holds. Rows written before answers were sealed are deleted at start.
 */
import { createHash, createHmac, hkdfSync, randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { canonicalJson } from '../event-sourcing/hashing.ts';
import { ensureSchema } from '../event-sourcing/postgres/migrations.ts';
import type { Sql } from '../event-sourcing/postgres/sql.ts';
import { isSealed, seal, unseal } from '../privacy/crypto.ts';
import { HttpProblem } from './problem.ts';

const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * What a handler spreads into its command's context (`CommandContext.idempotencyKey`): the request's
 * Idempotency-Key scoped by the caller, so two callers' equal keys on one stream never name the same events; a
 * retry whose answer was lost with its idempotency record then finds its own events. Nothing without a key.
 */
export function commandKeyOf(request: FastifyRequest): { readonly idempotencyKey?: string } {
  const key = request.headers['idempotency-key'];
  if (typeof key !== 'string' || !request.principal) return {};
  return { idempotencyKey: `${request.principal.subject}\u001f${key}` };
}

const SEALED_PREFIX = 'sealed:v1:';

/** The deployment's idempotency secret, derived from the master key: the same in every process of a deployment. */
export const idempotencySecretOf = (masterKey: Buffer): Buffer =>
  Buffer.from(hkdfSync('sha256', masterKey, Buffer.alloc(0), 'http idempotency answers', 32));

/** The key that seals one answer: from the client's raw key (not stored), its scope and the deployment's secret. */
const answerKey = (secret: Buffer, tenantId: string, subject: string, rawKey: string): Buffer =>
  Buffer.from(
    hkdfSync(
      'sha256',
      Buffer.concat([secret, Buffer.from(rawKey, 'utf8')]),
      `${tenantId}\u001f${subject}`,
      'http-idempotency-answer',
      32,
    ),
  );

/** What a replay answers with: the headers kept and the body. */
const answerShape = z.object({ headers: z.record(z.string(), z.string()), body: z.string() });
type Answer = z.infer<typeof answerShape>;
/** Binds a sealed answer to its place: it cannot be moved into another kind of sealed value. */
const ANSWER_BINDING = 'http-idempotency-answer';

/** The answer sealed the way personal data is (privacy/crypto.ts), for the caller: `sealed:v1:` + the envelope. */
const sealAnswer = (key: Buffer, held: Held, answer: Answer): string =>
  SEALED_PREFIX + JSON.stringify(seal(key, held.tenantId, held.subject, answer, ANSWER_BINDING));

/** The answer, or undefined where the key does not open it (another request's, altered, or an older format). */
function openAnswer(key: Buffer, held: Held, stored: string): Answer | undefined {
  if (!stored.startsWith(SEALED_PREFIX)) return undefined;
  try {
    const sealed: unknown = JSON.parse(stored.slice(SEALED_PREFIX.length));
    if (!isSealed(sealed) || sealed.sub !== held.subject) return undefined;
    const answer = answerShape.safeParse(unseal(key, held.tenantId, sealed, ANSWER_BINDING));
    return answer.success ? answer.data : undefined;
  } catch {
    return undefined;
  }
}

/** The stored name of a key: its hash, so that the table holds nothing from which an answer's key could be made. */
export const keyHash = (rawKey: string): string => createHash('sha256').update(rawKey, 'utf8').digest('base64url');

// `owner` names the run holding the key; rows from before leases have none and count as held for two minutes.
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
);
alter table http_idempotency add column if not exists owner text;
alter table http_idempotency add column if not exists lease_until timestamptz;
create index if not exists http_idempotency_running on http_idempotency (owner) where state = 'in-progress';
-- Answers kept in clear before they were sealed (issue 13): gone, not left to expire.
delete from http_idempotency where state = 'done' and (body is null or body not like '${SEALED_PREFIX}%')`;

const LEASE_END = `coalesce(http_idempotency.lease_until, http_idempotency.created_at + interval '2 minutes')`;
const KEPT_HEADERS = ['content-type', 'location', 'etag'] as const;
/** A run renews its lease for at most this long; a request running longer is treated as dead. */
const MAX_RENEWING_MS = 10 * 60_000;

export interface IdempotencyOptions {
  /** How long a running request holds its key without renewing it (default 6 s). */
  readonly leaseMs?: number;
  /**
   * The deployment's secret that answers are sealed with (with the client's key): derived from the master key. Without
   * one, answers are sealed under the client's key alone.
   */
  readonly secret?: Buffer;
}

interface Held {
  readonly tenantId: string;
  readonly subject: string;
  /** The key's hash, as stored. */
  readonly key: string;
  /** What seals this request's answer. */
  readonly answerKey: Buffer;
  /** This run's id: only the run holding the key renews or completes it. */
  readonly owner: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    idempotency?: Held;
  }
}

export async function registerIdempotency(
  app: FastifyInstance,
  sql: Sql,
  options: IdempotencyOptions = {},
): Promise<void> {
  await ensureSchema(sql, SCHEMA);
  const leaseMs = options.leaseMs ?? 6_000;
  const secret = options.secret ?? Buffer.alloc(0);
  let requests = 0;
  // Keyed with the answer's key: a short body ({"reason":"verstorben"}) could otherwise be guessed and confirmed
  // against its plain hash from the table alone.
  const hashOf = (request: FastifyRequest, key: Buffer) =>
    createHmac('sha256', key)
      .update(`${request.method} ${request.url}\n${canonicalJson(request.body ?? null)}`)
      .digest('hex');

  // The runs holding a key in this process (owner → when it started), renewed together: one statement every third
  // of the lease however many requests run, so a burst of slow requests does not add load as it waits.
  const running = new Map<string, number>();
  let renewal: NodeJS.Timeout | undefined;
  const renewAll = async () => {
    renewal = undefined;
    const now = Date.now();
    for (const [owner, started] of running) if (now - started > MAX_RENEWING_MS) running.delete(owner);
    if (running.size > 0) {
      try {
        await sql.query(
          `update http_idempotency set lease_until = now() + make_interval(secs => $2::double precision / 1000)
            where owner = any($1::text[]) and state = 'in-progress'`,
          [[...running.keys()], leaseMs],
        );
      } catch (error) {
        app.log.warn({ err: error }, 'idempotency leases not renewed');
      }
    }
    scheduleRenewal();
  };
  const scheduleRenewal = () => {
    if (renewal !== undefined || running.size === 0) return;
    renewal = setTimeout(renewAll, leaseMs / 3);
    renewal.unref();
  };
  app.addHook('onClose', async () => {
    running.clear();
    clearTimeout(renewal);
  });

  app.addHook('preHandler', async (request, reply) => {
    const key = request.headers['idempotency-key'];
    if (!WRITES.has(request.method) || typeof key !== 'string' || !request.principal) return;
    if (key.length === 0 || key.length > 200) {
      throw new HttpProblem(400, 'validation', 'Idempotency-Key must be 1–200 characters', {
        errors: [{ field: 'headers.idempotency-key', message: 'must be 1–200 characters' }],
      });
    }
    const { tenantId, subject } = request.principal;
    const held: Held = {
      tenantId,
      subject,
      key: keyHash(key),
      answerKey: answerKey(secret, tenantId, subject, key),
      owner: randomUUID(),
    };
    const hash = hashOf(request, held.answerKey);
    if (++requests % 200 === 0) {
      await sql.query(`delete from http_idempotency where created_at < now() - interval '24 hours'`);
    }
    // New, or taken over: the same request whose run let its lease run out (it died with its process).
    const taken = await sql.query(
      `insert into http_idempotency (tenant_id, subject, key, request_hash, state, owner, lease_until)
       values ($1, $2, $3, $4, 'in-progress', $5, now() + make_interval(secs => $6::double precision / 1000))
       on conflict (tenant_id, subject, key) do update
         set owner = excluded.owner, lease_until = excluded.lease_until, created_at = now()
         where http_idempotency.state = 'in-progress' and http_idempotency.request_hash = excluded.request_hash
           and ${LEASE_END} < now()
       returning key`,
      [held.tenantId, held.subject, held.key, hash, held.owner, leaseMs],
    );
    if (taken.length > 0) {
      request.idempotency = held;
      running.set(held.owner, Date.now());
      scheduleRenewal();
      return;
    }
    const [row] = await sql.query<{
      request_hash: string;
      state: string;
      status: number | null;
      body: string | null;
      lease_left: number | string | null;
    }>(
      `select request_hash, state, status, body,
              extract(epoch from ${LEASE_END} - now()) as lease_left
         from http_idempotency where tenant_id = $1 and subject = $2 and key = $3`,
      [held.tenantId, held.subject, held.key],
    );
    if (!row) return; // expired between the two statements: handle as new
    if (row.request_hash !== hash) {
      throw new HttpProblem(409, 'idempotency-key-reused', 'this Idempotency-Key was used for a different request');
    }
    if (row.state !== 'done') {
      // When the holder's lease runs out, unless it renews it: a retry then may take the key over.
      reply.header('retry-after', String(Math.max(1, Math.ceil(Number(row.lease_left ?? 0)))));
      throw new HttpProblem(409, 'request-in-progress', 'a request with this Idempotency-Key is still running');
    }
    // The same key with the same request: the key opens the answer (it authenticates, or this was not its answer).
    const answer = row.body === null ? undefined : openAnswer(held.answerKey, held, row.body);
    if (!answer)
      throw new HttpProblem(409, 'idempotency-key-reused', 'this Idempotency-Key was used for a different request');
    for (const [name, value] of Object.entries(answer.headers)) reply.header(name, value);
    return (
      reply
        .code(row.status ?? 200)
        .header('idempotent-replayed', 'true')
        // An answer may hold personal data: a replay is not cached either.
        .header('cache-control', 'no-store')
        .send(answer.body)
    );
  });

  app.addHook('onSend', async (request, reply, payload) => {
    const held = request.idempotency;
    if (!held) return payload;
    request.idempotency = undefined;
    running.delete(held.owner);
    const scope = [held.tenantId, held.subject, held.key, held.owner];
    if (reply.statusCode >= 500) {
      await sql.query(
        'delete from http_idempotency where tenant_id = $1 and subject = $2 and key = $3 and owner = $4',
        scope,
      );
      return payload;
    }
    const headers: Record<string, string> = {};
    for (const name of KEPT_HEADERS) {
      const value = reply.getHeader(name);
      if (value !== undefined) headers[name] = String(value);
    }
    // Only the run holding the key completes it (a run overtaken by a retry leaves the answer to that retry).
    const body = typeof payload === 'string' ? payload : String(payload ?? '');
    await sql.query(
      `update http_idempotency set state = 'done', status = $5, headers = null, body = $6
        where tenant_id = $1 and subject = $2 and key = $3 and owner = $4`,
      [...scope, reply.statusCode, sealAnswer(held.answerKey, held, { headers, body })],
    );
    return payload;
  });
}
