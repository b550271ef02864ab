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
const MIGRATION_LOCK = 0x424b4d47; // "BKMG"

export const migrations: readonly Migration[] = [
  {
    version: 1,
    name: 'streams, events, case index, checkpoints, es_append',
    sql: `
create table es_streams (
  stream          text primary key,
  category        text not null,
  revision        bigint not null default -1,
  last_hash       bytea,
  state           text not null default 'active' check (state in ('active', 'deleted', 'tombstoned')),
  max_age_seconds bigint check (max_age_seconds > 0),
  truncate_before bigint check (truncate_before >= 0),
  created_at      timestamptz not null default now()
);

create sequence es_position_seq;

create table es_events (
  position       bigint primary key,
  id             uuid not null unique,
  stream         text not null references es_streams (stream),
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
-- Errors (SQLSTATE): ES409 version conflict (detail = actual revision), ES410 stream deleted,
--   ES422 idempotency conflict (detail = JSON array of ids).
-- Commit order = position order: positions are drawn under a transaction-scoped advisory lock that is released
-- only when the transaction has committed (and is visible), so no reader can ever see position n+1 before n.
create function es_append(p_stream text, p_expected bigint, p_events jsonb)
returns table (out_revision bigint, out_position bigint, out_replayed boolean)
language plpgsql as $fn$
declare
  v_stream   es_streams%rowtype;
  v_count    integer := jsonb_array_length(p_events);
  v_found    integer;
  v_same     integer;
  v_shifts   integer;
  v_max_rev  bigint;
  v_max_pos  bigint;
  v_exists   boolean;
  v_rev      bigint;
  v_prev     bytea;
  v_hash     bytea;
  v_content  bytea;
  v_pos      bigint;
  v_event    jsonb;
begin
  insert into es_streams (stream, category) values (p_stream, split_part(p_stream, '-', 1)) on conflict do nothing;
  select * into v_stream from es_streams where stream = p_stream for update;

  if v_stream.state = 'tombstoned' then
    raise exception using errcode = 'ES410', message = 'stream deleted';
  end if;

  -- Idempotency: the same events again change nothing and answer as the first time.
  select count(*)::integer,
         count(*) filter (where e.stream = p_stream and e.type = x.ev ->> 'type'
                           and e.schema_version = (x.ev ->> 'schemaVersion')::integer
                           and e.data = x.ev -> 'data' and e.metadata = x.ev -> 'metadata')::integer,
         count(distinct e.revision - x.ord)::integer,
         max(e.revision), max(e.position)
    into v_found, v_same, v_shifts, v_max_rev, v_max_pos
    from jsonb_array_elements(p_events) with ordinality as x (ev, ord)
    join es_events e on e.id = (x.ev ->> 'id')::uuid;
  if v_found > 0 then
    if v_found = v_count and v_same = v_count and v_shifts = 1 then
      return query select v_max_rev, v_max_pos, true;
      return;
    end if;
    raise exception using errcode = 'ES422', message = 'idempotency conflict',
      detail = (select jsonb_agg(x.ev ->> 'id')::text from jsonb_array_elements(p_events) x (ev)
                 where exists (select 1 from es_events e where e.id = (x.ev ->> 'id')::uuid));
  end if;

  v_exists := v_stream.state = 'active' and v_stream.revision >= 0;
  if (p_expected = -1 and v_exists) or (p_expected = -2 and not v_exists)
     or (p_expected >= 0 and p_expected <> v_stream.revision) then
    raise exception using errcode = 'ES409', message = 'version conflict', detail = v_stream.revision::text;
  end if;

  perform pg_advisory_xact_lock(${COMMIT_ORDER_LOCK});

  v_rev := v_stream.revision;
  v_prev := v_stream.last_hash;
  for v_event in select x.ev from jsonb_array_elements(p_events) with ordinality as x (ev, ord) order by x.ord loop
    v_rev := v_rev + 1;
    v_content := decode(v_event ->> 'contentHash', 'hex');
    v_hash := sha256(coalesce(v_prev, ''::bytea) || v_content || int8send(v_rev));
    insert into es_events (position, id, stream, revision, type, schema_version, category, tenant_id, data, metadata,
                           recorded_at, content_hash, hash, prev_hash)
    values (nextval('es_position_seq'), (v_event ->> 'id')::uuid, p_stream, v_rev, v_event ->> 'type',
            (v_event ->> 'schemaVersion')::integer, v_stream.category, v_event -> 'metadata' ->> 'tenantId',
            v_event -> 'data', v_event -> 'metadata', (v_event ->> 'recordedAt')::timestamptz, v_content, v_hash, v_prev)
    returning position into v_pos;
    insert into es_case_events (tenant_id, case_id, position)
    select v_event -> 'metadata' ->> 'tenantId', c.case_id, v_pos
      from (select v_event -> 'metadata' ->> 'caseId' as case_id
            union
            select jsonb_array_elements_text(case when jsonb_typeof(v_event -> 'metadata' -> 'caseIds') = 'array'
                                                   then v_event -> 'metadata' -> 'caseIds' else '[]'::jsonb end)) c
     where c.case_id is not null;
    v_prev := v_hash;
  end loop;

  update es_streams set revision = v_rev, last_hash = v_prev, state = 'active' where stream = p_stream;
  perform pg_notify('es_events', v_pos::text);
  return query select v_rev, v_pos, false;
end
$fn$;
`,
  },
];

export async function migrate(sql: Sql): Promise<number[]> {
  await sql.exec(`create table if not exists es_migrations (
    version integer primary key, name text not null, applied_at timestamptz not null default now())`);
  const applied: number[] = [];
  await sql.transaction(async (tx) => {
    if (sql.dialect === 'postgres') await tx.query('select pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
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
