/**
 * Versioned schema of the PostgreSQL event store. Applied in order, each in its own transaction, recorded in
 * es_migrations; concurrent starters serialise on an advisory lock (server) so a migration runs once.
 * A published migration is never edited: add the next version.
 */
import type { Sql } from './sql.ts';

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

/** Key of the advisory lock that serialises appends in commit order (see es_append). */
export const COMMIT_ORDER_LOCK = 0x424b4553; // "BKES"
export const MIGRATION_LOCK = 0x424b4d47; // "BKMG"

export const migrations: readonly Migration[] = [
  {
    version: 1,
    name: 'streams, events, case index, checkpoints, es_append',
    sql: `
create table es_streams (
  stream          text primary key,
  category        text not null,
  state           text not null default 'active' check (state in ('active', 'deleted', 'tombstoned')),
  max_age_seconds bigint check (max_age_seconds > 0),
  truncate_before bigint check (truncate_before >= 0),
  deleted_before  bigint check (deleted_before >= 0), -- soft deletion hides the events before this revision
  created_at      timestamptz not null default now()
);
-- Only streams with retention settings or a deletion have a row here; appends do not write it.

create sequence es_position_seq;

create table es_events (
  position       bigint primary key,
  id             uuid not null unique,
  stream         text not null,
  revision       bigint not null,
  type           text not null,
  schema_version integer not null,
  category       text not null,
  tenant_id      text not null,
  data           jsonb not null,
  metadata       jsonb not null,
  recorded_at    timestamptz not null,
  content_hash   bytea not null,
  hash           bytea not null,
  prev_hash      bytea,
  unique (stream, revision)
);
create index es_events_category_position on es_events (category, position);

-- A case's events in global order: the history of one case is read in time proportional to its own events.
create table es_case_events (
  tenant_id text not null,
  case_id   text not null,
  position  bigint not null references es_events (position) on delete cascade,
  primary key (tenant_id, case_id, position)
);
create index es_case_events_position on es_case_events (position);

create table es_checkpoints (
  subscriber_id text primary key,
  position      bigint not null,
  updated_at    timestamptz not null default now()
);

-- Appends events to a stream in one statement.
--   p_expected: null = any, -1 = no stream, -2 = stream exists, n >= 0 = exact revision.
--   p_events: [{ id, type, schemaVersion, recordedAt, data, metadata, contentHash (hex) }]
-- Errors (SQLSTATE): ES409 version conflict (detail = actual revision), ES410 stream deleted, 23505 an event id
--   exists already. On ES409 and 23505 the caller asks es_replayed whether this is an idempotent re-append.
-- Commit order = position order: the whole append runs under a transaction-scoped advisory lock that is released
-- only when the transaction has committed (and is visible), so positions are drawn and become visible in the same
-- order and no reader can ever see position n+1 before n. The same lock serialises writers of one stream, so the
-- stream's head read below is its head when the events are inserted (unique (stream, revision) backs it up).
create function es_append(p_stream text, p_expected bigint, p_events jsonb,
                          out out_revision bigint, out out_position bigint)
language plpgsql as $fn$
declare
  v_count    integer := jsonb_array_length(p_events);
  v_state    text;
  v_revision bigint;
  v_prev     bytea;
  v_exists   boolean;
  v_content  bytea[] := '{}';
  v_hashes   bytea[] := '{}';
  v_prevs    bytea[] := '{}';
  i          integer;
begin
  perform pg_advisory_xact_lock(${COMMIT_ORDER_LOCK});

  -- The stream's state (a row exists only after retention settings or a deletion) and its head, in one read.
  select s.state, coalesce(h.revision, -1), h.hash into v_state, v_revision, v_prev
    from (select 1) one
    left join es_streams s on s.stream = p_stream
    left join lateral (select e.revision, e.hash from es_events e where e.stream = p_stream
                        order by e.revision desc limit 1) h on true;
  if v_state = 'tombstoned' then
    raise exception using errcode = 'ES410', message = 'stream deleted';
  end if;

  v_exists := coalesce(v_state, 'active') = 'active' and v_revision >= 0;
  if (p_expected = -1 and v_exists) or (p_expected = -2 and not v_exists)
     or (p_expected >= 0 and p_expected <> v_revision) then
    raise exception using errcode = 'ES409', message = 'version conflict', detail = v_revision::text;
  end if;

  -- The hash chain, link by link (plain expressions, no queries), then events and case index in one statement.
  for i in 1 .. v_count loop
    v_content := array_append(v_content, decode(p_events -> (i - 1) ->> 'contentHash', 'hex'));
    v_prevs := array_append(v_prevs, v_prev);
    v_prev := sha256(coalesce(v_prev, ''::bytea) || v_content[i] || int8send(v_revision + i));
    v_hashes := array_append(v_hashes, v_prev);
  end loop;

  with inserted as (
    insert into es_events (position, id, stream, revision, type, schema_version, category, tenant_id, data, metadata,
                           recorded_at, content_hash, hash, prev_hash)
    select nextval('es_position_seq'), (x.ev ->> 'id')::uuid, p_stream, v_revision + x.ord, x.ev ->> 'type',
           (x.ev ->> 'schemaVersion')::integer, split_part(p_stream, '-', 1), x.ev -> 'metadata' ->> 'tenantId',
           x.ev -> 'data', x.ev -> 'metadata', (x.ev ->> 'recordedAt')::timestamptz,
           v_content[x.ord], v_hashes[x.ord], v_prevs[x.ord]
      from jsonb_array_elements(p_events) with ordinality as x (ev, ord)
     order by x.ord
    returning position, tenant_id, metadata
  ), cases as (
    insert into es_case_events (tenant_id, case_id, position)
    select i.tenant_id, c.case_id, i.position
      from inserted i
      cross join lateral (
        select i.metadata ->> 'caseId' as case_id
        union
        select jsonb_array_elements_text(case when jsonb_typeof(i.metadata -> 'caseIds') = 'array'
                                              then i.metadata -> 'caseIds' else '[]'::jsonb end)) c
     where c.case_id is not null
  )
  select max(position) into out_position from inserted;
  perform pg_notify('es_events', out_position::text);

  if v_state = 'deleted' then
    update es_streams set state = 'active' where stream = p_stream;
  end if;
  out_revision := v_revision + v_count;
end
$fn$;

-- Whether p_events were all stored before in p_stream, consecutively and with the same content (then: the revision
-- and position of the last), none of them (no row), or only in part / with other content (ES422).
-- Kept off the append's happy path: es_append calls for it only by failing (ES409, 23505).
create function es_replayed(p_stream text, p_events jsonb)
returns table (out_revision bigint, out_position bigint)
language plpgsql stable as $fn$
declare
  v_count  integer := jsonb_array_length(p_events);
  v_found  integer;
  v_same   integer;
  v_shifts integer;
  v_rev    bigint;
  v_pos    bigint;
begin
  select count(*)::integer,
         count(*) filter (where e.stream = p_stream and e.type = x.ev ->> 'type'
                           and e.schema_version = (x.ev ->> 'schemaVersion')::integer
                           and e.data = x.ev -> 'data' and e.metadata = x.ev -> 'metadata')::integer,
         count(distinct e.revision - x.ord)::integer,
         max(e.revision), max(e.position)
    into v_found, v_same, v_shifts, v_rev, v_pos
    from jsonb_array_elements(p_events) with ordinality as x (ev, ord)
    join es_events e on e.id = (x.ev ->> 'id')::uuid;
  if v_found = 0 then
    return;
  end if;
  if v_found = v_count and v_same = v_count and v_shifts = 1 then
    return query select v_rev, v_pos;
    return;
  end if;
  raise exception using errcode = 'ES422', message = 'idempotency conflict',
    detail = (select jsonb_agg(x.ev ->> 'id')::text from jsonb_array_elements(p_events) x (ev)
               where exists (select 1 from es_events e where e.id = (x.ev ->> 'id')::uuid));
end
$fn$;
`,
  },
];

export async function migrate(sql: Sql): Promise<number[]> {
  const applied: number[] = [];
  await sql.transaction(async (tx) => {
    // Everything under one lock, the bookkeeping table's creation included: concurrent `create table if not
    // exists` races on the server (duplicate pg_type entry) when several services start on a fresh database.
    if (sql.dialect === 'postgres') await tx.query('select pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await tx.exec(`create table if not exists es_migrations (
      version integer primary key, name text not null, applied_at timestamptz not null default now())`);
    const rows = await tx.query<{ version: number }>('select version from es_migrations');
    const done = new Set(rows.map((row) => Number(row.version)));
    for (const migration of migrations) {
      if (done.has(migration.version)) continue;
      await tx.exec(migration.sql);
      await tx.query('insert into es_migrations (version, name) values ($1, $2)', [migration.version, migration.name]);
      applied.push(migration.version);
    }
  });
  return applied;
}

/**
 * Runs idempotent DDL (`create table if not exists …`) under the migration lock: several processes starting at once
 * on a fresh database would otherwise race on the catalogue (duplicate pg_type entries).
 */
export async function ensureSchema(sql: Sql, ddl: string): Promise<void> {
  await sql.transaction(async (tx) => {
    if (sql.dialect === 'postgres') await tx.query('select pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await tx.exec(ddl);
  });
}
