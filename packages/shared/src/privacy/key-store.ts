import { randomBytes } from 'node:crypto';
import { ensureSchema } from '../event-sourcing/postgres/migrations.ts';
import type { Sql } from '../event-sourcing/postgres/sql.ts';
import { unwrapKey, wrapKey } from './crypto.ts';

/** Sealing for a subject whose key was erased: erasure is final for that subject id. */
export class SubjectErasedError extends Error {
  readonly code = 'subject-erased';
  constructor(tenantId: string, subjectId: string) {
    super(`data subject ${subjectId} of tenant ${tenantId} has been erased`);
    this.name = 'SubjectErasedError';
  }
}

export interface SubjectRef {
  readonly tenantId: string;
  readonly subjectId: string;
}

/** The map key of a subject in `findKeys` answers. */
export const subjectKey = (tenantId: string, subjectId: string): string => `${tenantId}\u001f${subjectId}`;

/** Keys per data subject, kept apart from the events and deletable. */
export interface KeyStore {
  /** The subject's key; created on first use. Throws SubjectErasedError after erasure. */
  keyFor(tenantId: string, subjectId: string): Promise<Buffer>;
  /**
   * `keyFor` for many subjects at once (one round trip for those not cached), keyed by `subjectKey(tenant, subject)`;
   * throws SubjectErasedError if one of them was erased. Optional like `findKeys`: callers fall back to `keyFor`.
   */
  keysFor?(subjects: readonly SubjectRef[]): Promise<Map<string, Buffer>>;
  /** The subject's key if it exists and was not erased. */
  findKey(tenantId: string, subjectId: string): Promise<Buffer | undefined>;
  /**
   * `findKey` for many subjects at once (one round trip for those not cached), keyed by `subjectKey(tenant, subject)`.
   * Optional so that simple key stores (fakes in tests) need not have it: callers fall back to `findKey`.
   */
  findKeys?(subjects: readonly SubjectRef[]): Promise<Map<string, Buffer | undefined>>;
  /** Deletes the key: every value sealed for the subject becomes unreadable, for good. */
  erase(tenantId: string, subjectId: string): Promise<void>;
  /** Drops the subject's key from this instance's cache (another process erased it). */
  evict?(tenantId: string, subjectId: string): void;
}

const SCHEMA = `
create table if not exists pd_subject_keys (
  tenant_id   text not null,
  subject_id  text not null,
  wrapped_key bytea,
  created_at  timestamptz not null default now(),
  erased_at   timestamptz,
  primary key (tenant_id, subject_id),
  check ((wrapped_key is null) = (erased_at is not null))
)`;

/**
 * The key store on PostgreSQL or PGlite (a database or schema of its own where the deployment can separate it).
 * Keys are wrapped with the master key; unwrapped keys are cached in memory for `cacheMs`, and erasure through this
 * instance clears the cache at once (other processes see it within `cacheMs`).
 */
export class PostgresKeyStore implements KeyStore {
  readonly #sql: Sql;
  readonly #masterKey: Buffer;
  readonly #cacheMs: number;
  readonly #maxCached: number;
  /** Oldest entry first (a Map keeps insertion order): what is evicted when the cache is full. */
  readonly #cache = new Map<string, { key: Buffer; until: number }>();
  /** Bumped by every erase: a lookup that started before an erase must not put the erased key back. */
  #erasures = 0;
  /** Subjects being erased (evicted): not cached until then, so every read asks the table. */
  readonly #uncached = new Map<string, number>();

  private constructor(sql: Sql, masterKey: Buffer, cacheMs: number, maxCached: number) {
    this.#sql = sql;
    this.#masterKey = masterKey;
    this.#cacheMs = cacheMs;
    this.#maxCached = maxCached;
  }

  /**
   * `cacheMs`: how long an unwrapped key is kept (default 60 s); `maxCached`: how many at most (default 50,000), so
   * a long-running process — or a rebuild that opens every applicant — holds neither unbounded memory nor key
   * material longer than needed.
   */
  static async open(
    sql: Sql,
    masterKey: Buffer,
    options: { cacheMs?: number; maxCached?: number } = {},
  ): Promise<PostgresKeyStore> {
    await ensureSchema(sql, SCHEMA);
    return new PostgresKeyStore(sql, masterKey, options.cacheMs ?? 60_000, options.maxCached ?? 50_000);
  }

  /** Keys held in memory now (for metrics and tests). */
  get cachedKeys(): number {
    return this.#cache.size;
  }

  #cached(tenantId: string, subjectId: string): Buffer | undefined {
    const name = subjectKey(tenantId, subjectId);
    const hit = this.#cache.get(name);
    if (!hit) return undefined;
    if (hit.until > Date.now()) return hit.key;
    this.#cache.delete(name);
    return undefined;
  }

  #remember(tenantId: string, subjectId: string, key: Buffer, erasuresAtStart: number): Buffer {
    if (erasuresAtStart !== this.#erasures || this.#cacheMs <= 0 || this.#maxCached <= 0) return key;
    const name = subjectKey(tenantId, subjectId);
    const until = this.#uncached.get(name);
    if (until !== undefined) {
      if (until > Date.now()) return key;
      this.#uncached.delete(name);
    }
    this.#cache.delete(name); // re-inserted as the newest
    this.#cache.set(name, { key, until: Date.now() + this.#cacheMs });
    for (const oldest of this.#cache.keys()) {
      if (this.#cache.size <= this.#maxCached) break;
      this.#cache.delete(oldest);
    }
    return key;
  }

  async findKey(tenantId: string, subjectId: string): Promise<Buffer | undefined> {
    const cached = this.#cached(tenantId, subjectId);
    if (cached) return cached;
    const erasures = this.#erasures;
    const [row] = await this.#sql.query<{ wrapped_key: Uint8Array | null }>(
      'select wrapped_key from pd_subject_keys where tenant_id = $1 and subject_id = $2',
      [tenantId, subjectId],
    );
    if (!row?.wrapped_key) return undefined;
    return this.#remember(
      tenantId,
      subjectId,
      unwrapKey(this.#masterKey, tenantId, subjectId, row.wrapped_key),
      erasures,
    );
  }

  async findKeys(subjects: readonly SubjectRef[]): Promise<Map<string, Buffer | undefined>> {
    const found = new Map<string, Buffer | undefined>();
    const missing = new Map<string, SubjectRef>();
    for (const subject of subjects) {
      const id = subjectKey(subject.tenantId, subject.subjectId);
      if (found.has(id) || missing.has(id)) continue;
      const cached = this.#cached(subject.tenantId, subject.subjectId);
      if (cached) found.set(id, cached);
      else missing.set(id, subject);
    }
    if (missing.size === 0) return found;
    const erasures = this.#erasures;
    const rows = await this.#sql.query<{ tenant_id: string; subject_id: string; wrapped_key: Uint8Array | null }>(
      `select k.tenant_id, k.subject_id, k.wrapped_key from pd_subject_keys k
         join json_to_recordset($1::json) as w (tenant_id text, subject_id text) using (tenant_id, subject_id)`,
      [JSON.stringify([...missing.values()].map((s) => ({ tenant_id: s.tenantId, subject_id: s.subjectId })))],
    );
    for (const id of missing.keys()) found.set(id, undefined); // no row, or erased
    for (const row of rows) {
      if (!row.wrapped_key) continue;
      const key = unwrapKey(this.#masterKey, row.tenant_id, row.subject_id, row.wrapped_key);
      found.set(
        subjectKey(row.tenant_id, row.subject_id),
        this.#remember(row.tenant_id, row.subject_id, key, erasures),
      );
    }
    return found;
  }

  /**
   * One statement whether the subject has a key or not: a new key is inserted (`on conflict do nothing`: a key once
   * stored is never replaced, an erased one never revived) and answered from what was inserted; a stored key is read
   * in the same statement (it sees the table as before the insert). Sealing a new case's applicant used to take a
   * lookup and an insert. A key another writer stored after the statement's snapshot is in neither half: it is read.
   */
  async keyFor(tenantId: string, subjectId: string): Promise<Buffer> {
    const cached = this.#cached(tenantId, subjectId);
    if (cached) return cached;
    const erasures = this.#erasures;
    const key = randomBytes(32);
    const [row] = await this.#sql.query<{ wrapped_key: Uint8Array | null; created: boolean }>(
      `with created as (
         insert into pd_subject_keys (tenant_id, subject_id, wrapped_key) values ($1, $2, $3)
         on conflict do nothing returning subject_id
       )
       select null::bytea as wrapped_key, true as created from created
       union all
       select wrapped_key, false from pd_subject_keys where tenant_id = $1 and subject_id = $2`,
      [tenantId, subjectId, wrapKey(this.#masterKey, tenantId, subjectId, key)],
    );
    if (row?.created) return this.#remember(tenantId, subjectId, key, erasures);
    if (row) {
      if (!row.wrapped_key) throw new SubjectErasedError(tenantId, subjectId);
      const stored = unwrapKey(this.#masterKey, tenantId, subjectId, row.wrapped_key);
      return this.#remember(tenantId, subjectId, stored, erasures);
    }
    const stored = await this.findKey(tenantId, subjectId);
    if (!stored) throw new SubjectErasedError(tenantId, subjectId);
    return stored;
  }

  /**
   * `keyFor` for many subjects: one statement for all those not cached, which creates a key for each that has none
   * and reads the stored keys of the others (`on conflict do nothing`: a key once stored is never replaced, an
   * erased one never revived). On PGlite the statement costs about what three single `keyFor`s do, and hardly more
   * for 60 subjects (docs/benchmarks.md): up to three subjects take `keyFor`'s path. A subject whose key another
   * writer stored after this statement's snapshot is in neither half of the answer: it is read again.
   */
  async keysFor(subjects: readonly SubjectRef[]): Promise<Map<string, Buffer>> {
    const found = new Map<string, Buffer>();
    const missing = new Map<string, SubjectRef & { key: Buffer }>();
    for (const subject of subjects) {
      const id = subjectKey(subject.tenantId, subject.subjectId);
      if (found.has(id) || missing.has(id)) continue;
      const cached = this.#cached(subject.tenantId, subject.subjectId);
      if (cached) found.set(id, cached);
      else missing.set(id, { ...subject, key: randomBytes(32) });
    }
    if (missing.size === 0) return found;
    if (missing.size <= 3) {
      for (const [id, subject] of missing) found.set(id, await this.keyFor(subject.tenantId, subject.subjectId));
      return found;
    }
    const erasures = this.#erasures;
    const wanted = [...missing.values()].map((s) => ({
      tenant_id: s.tenantId,
      subject_id: s.subjectId,
      wrapped_key: wrapKey(this.#masterKey, s.tenantId, s.subjectId, s.key).toString('base64'),
    }));
    const rows = await this.#sql.query<{
      tenant_id: string;
      subject_id: string;
      wrapped_key: Uint8Array | null;
      created: boolean;
    }>(
      `with wanted as (
         select * from json_to_recordset($1::json) as w (tenant_id text, subject_id text, wrapped_key text)
       ), created as (
         insert into pd_subject_keys (tenant_id, subject_id, wrapped_key)
         select tenant_id, subject_id, decode(wrapped_key, 'base64') from wanted
         on conflict do nothing
         returning tenant_id, subject_id
       )
       select tenant_id, subject_id, null::bytea as wrapped_key, true as created from created
       union all
       select k.tenant_id, k.subject_id, k.wrapped_key, false from pd_subject_keys k join wanted using (tenant_id, subject_id)`,
      [JSON.stringify(wanted)],
    );
    for (const row of rows) {
      const id = subjectKey(row.tenant_id, row.subject_id);
      const subject = missing.get(id);
      if (!subject) continue;
      let key = subject.key;
      if (!row.created) {
        if (!row.wrapped_key) throw new SubjectErasedError(row.tenant_id, row.subject_id);
        key = unwrapKey(this.#masterKey, row.tenant_id, row.subject_id, row.wrapped_key);
      }
      found.set(id, this.#remember(row.tenant_id, row.subject_id, key, erasures));
      missing.delete(id);
    }
    if (missing.size === 0) return found;
    // Stored by another writer meanwhile (or erased): theirs stands.
    const again = await this.findKeys([...missing.values()]);
    for (const [id, subject] of missing) {
      const key = again.get(id);
      if (!key) throw new SubjectErasedError(subject.tenantId, subject.subjectId);
      found.set(id, key);
    }
    return found;
  }

  /**
   * Drops the key and keeps it out of the cache for `cacheMs`: the erasure that caused the eviction is recorded before
   * its key is destroyed, and a read in between must not cache the key for another minute.
   */
  evict(tenantId: string, subjectId: string): void {
    this.#erasures++;
    const name = subjectKey(tenantId, subjectId);
    this.#cache.delete(name);
    this.#uncached.set(name, Date.now() + this.#cacheMs);
  }

  async erase(tenantId: string, subjectId: string): Promise<void> {
    this.#erasures++;
    this.#cache.delete(subjectKey(tenantId, subjectId));
    await this.#sql.query(
      `insert into pd_subject_keys (tenant_id, subject_id, wrapped_key, erased_at) values ($1, $2, null, now())
       on conflict (tenant_id, subject_id) do update set wrapped_key = null, erased_at = coalesce(pd_subject_keys.erased_at, now())`,
      [tenantId, subjectId],
    );
    this.#erasures++;
    this.#cache.delete(subjectKey(tenantId, subjectId));
  }
}
