/**
 * The kit's local store: PGlite on disk, KIT_DATA_DIR being its data directory, one process at a time (lock.ts).
 * What it holds:
 *   manifests        the day's manifest per date, as pulled (personal data of the day's participants: the kit needs
 *                    it on site; it is printed only on request)
 *   queue            every record made, in sequence order, with its answer once the office gave one
 *   visit_versions   the highest version each visit had in any manifest pulled, kept when a later pull no longer
 *                    has it (cancelled, moved): a record made on it still goes to the office, as a conflict to review
 *   device_sequence  the last sequence number given per device: numbers come from here, in the transaction that
 *                    stores the record, so a crash leaves no gap and no number is ever given twice
 *   meta             the kit and device the directory belongs to; the last sync attempt, success and error
 * Every change is one transaction: a record is stored whole with its number or not at all, and an item is marked
 * answered only together with its answer. Nothing is ever deleted from the queue.
 */
import {
  type Manifest,
  manifestResponse,
  type SyncItemResult,
  type SyncRecord,
  syncRecord,
} from '@buergerkoffer/shared/contracts';
import { PGlite, type Transaction } from '@electric-sql/pglite';
import { z } from 'zod';
import { ANSWER_STATUSES, type AnswerStatus, answerOf, type StoredAnswer, storedAnswer } from './answers.ts';
import { type DirLock, lockDataDir } from './lock.ts';

const SCHEMA = `
create table if not exists meta (key text primary key, value jsonb not null);
create table if not exists device_sequence (device_id text primary key, last_sequence bigint not null);
create table if not exists manifests (
  date text primary key check (date ~ '^\\d{4}-\\d{2}-\\d{2}$'),
  kit_id uuid not null,
  version text not null,
  body jsonb not null,
  pulled_at timestamptz not null
);
create table if not exists queue (
  device_id text not null,
  seq bigint not null check (seq >= 1),
  submission_id uuid not null unique,
  kind text not null,
  visit_id uuid not null,
  record jsonb not null,
  status text not null default 'pending' check (status in ('pending', 'answered')),
  answer jsonb,
  answer_status text check (answer_status in ('accepted', 'recorded-as-conflict', 'conflict', 'rejected')),
  duplicate boolean not null default false,
  attempts int not null default 0,
  last_error text,
  recorded_at timestamptz not null,
  answered_at timestamptz,
  primary key (device_id, seq),
  check ((status = 'answered') = (answer is not null and answer_status is not null and answered_at is not null))
);
create table if not exists visit_versions (
  visit_id uuid primary key,
  version int not null,
  date text not null,
  seen_at timestamptz not null
);
create index if not exists queue_pending on queue (device_id, seq) where status = 'pending';
insert into meta (key, value) values ('schema', '1') on conflict do nothing;
`;

const binding = z.object({ kitId: z.string().optional(), deviceId: z.string().optional() });
const lastError = z.object({ at: z.string(), message: z.string() });

export class BindingMismatchError extends Error {
  constructor(field: 'kit' | 'device', held: string, given: string) {
    super(
      `this data directory belongs to ${field} ${held}, not ${given}: use the kit's own KIT_DATA_DIR (its pending records would go to the wrong ${field})`,
    );
    this.name = 'BindingMismatchError';
  }
}

export interface PendingItem {
  readonly sequence: number;
  readonly submissionId: string;
  readonly record: SyncRecord;
  readonly attempts: number;
}

export interface AnsweredItem {
  readonly submissionId: string;
  readonly visitId: string;
  readonly sequence: number;
  readonly duplicate: boolean;
  readonly answer: StoredAnswer;
}

export interface HeldManifest {
  readonly date: string;
  readonly version: string;
  readonly visits: number;
  readonly pulledAt: string;
}

export interface StoreStatus {
  readonly kitId: string | undefined;
  readonly deviceId: string | undefined;
  readonly pending: number;
  readonly answered: Readonly<Record<AnswerStatus, number>>;
  /** Of the answered, how many were answered as duplicates (a re-send after a lost answer). */
  readonly duplicates: number;
  readonly lastAttemptAt: string | undefined;
  readonly lastSuccessAt: string | undefined;
  readonly lastError: { readonly at: string; readonly message: string } | undefined;
  /** The items that need the office or the kit: recorded as conflicts, refused, or whose id was reused. */
  readonly attention: readonly AnsweredItem[];
  readonly manifests: readonly HeldManifest[];
}

type Queryable = Pick<PGlite, 'query'> | Transaction;

const iso = (value: unknown): string | undefined =>
  value instanceof Date ? value.toISOString() : typeof value === 'string' ? value : undefined;

async function migrate(db: PGlite): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.exec(SCHEMA);
  });
}

async function openDb(pgdata: string): Promise<PGlite> {
  const db = await PGlite.create(pgdata);
  try {
    await migrate(db);
    return db;
  } catch (error) {
    await db.close().catch(() => undefined);
    throw error;
  }
}

async function metaValue(db: Queryable, key: string): Promise<unknown> {
  const { rows } = await db.query<{ value: unknown }>('select value from meta where key = $1', [key]);
  return rows[0]?.value;
}

async function setMeta(db: Queryable, key: string, value: unknown): Promise<void> {
  await db.query(
    'insert into meta (key, value) values ($1, $2::jsonb) on conflict (key) do update set value = excluded.value',
    [key, JSON.stringify(value)],
  );
}

export class KitStore {
  readonly dataDir: string;
  private readonly db: PGlite;
  private readonly lock: DirLock;

  private constructor(dataDir: string, db: PGlite, lock: DirLock) {
    this.dataDir = dataDir;
    this.db = db;
    this.lock = lock;
  }

  /**
   * Opens (creating on first use) the store in `dataDir` — PGlite's own data directory, with the lock file beside
   * its files — taking the lock; throws StoreBusyError while another kit command has it.
   */
  static async open(dataDir: string): Promise<KitStore> {
    const lock = await lockDataDir(dataDir);
    try {
      return new KitStore(dataDir, await openDb(dataDir), lock);
    } catch (error) {
      lock.release();
      throw error;
    }
  }

  async close(): Promise<void> {
    try {
      await this.db.close();
    } finally {
      this.lock.release();
    }
  }

  /**
   * Binds the directory to the kit (and device) on first use; throws BindingMismatchError for another one — a
   * directory's pending records were made by its device for its kit and must go nowhere else.
   */
  async bind(kitId: string, deviceId?: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      const held = binding.parse((await metaValue(tx, 'binding')) ?? {});
      if (held.kitId !== undefined && held.kitId !== kitId) throw new BindingMismatchError('kit', held.kitId, kitId);
      if (deviceId !== undefined && held.deviceId !== undefined && held.deviceId !== deviceId)
        throw new BindingMismatchError('device', held.deviceId, deviceId);
      const next = { kitId, deviceId: held.deviceId ?? deviceId };
      if (next.kitId !== held.kitId || next.deviceId !== held.deviceId) await setMeta(tx, 'binding', next);
    });
  }

  async saveManifest(manifest: Manifest, pulledAt: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx.query(
        `insert into manifests (date, kit_id, version, body, pulled_at) values ($1, $2, $3, $4::jsonb, $5)
         on conflict (date) do update
           set kit_id = excluded.kit_id, version = excluded.version, body = excluded.body, pulled_at = excluded.pulled_at`,
        [manifest.date, manifest.kitId, manifest.version, JSON.stringify(manifest), pulledAt],
      );
      for (const visit of manifest.visits)
        await tx.query(
          `insert into visit_versions (visit_id, version, date, seen_at) values ($1, $2, $3, $4)
           on conflict (visit_id) do update set
             date = case when excluded.version >= visit_versions.version then excluded.date else visit_versions.date end,
             version = greatest(visit_versions.version, excluded.version),
             seen_at = excluded.seen_at`,
          [visit.visitId, visit.version, manifest.date, pulledAt],
        );
    });
  }

  async findManifest(date: string): Promise<Manifest | undefined> {
    const { rows } = await this.db.query<{ body: unknown }>('select body from manifests where date = $1', [date]);
    return rows[0] === undefined ? undefined : manifestResponse.parse(rows[0].body);
  }

  /** The manifests held that contain the visit. */
  async manifestsWithVisit(visitId: string): Promise<Manifest[]> {
    const { rows } = await this.db.query<{ body: unknown }>(
      `select body from manifests where body -> 'visits' @> $1::jsonb order by date`,
      [JSON.stringify([{ visitId }])],
    );
    return rows.map((row) => manifestResponse.parse(row.body));
  }

  /** The highest version the visit had in any manifest pulled (see visit_versions). */
  async lastSeenVersion(visitId: string): Promise<number | undefined> {
    const { rows } = await this.db.query<{ version: number }>(
      'select version from visit_versions where visit_id = $1',
      [visitId],
    );
    return rows[0]?.version;
  }

  /**
   * Stores records in one transaction, numbering them: each draft is called with the sequence number it gets (the
   * device's next), checked against the contract again and stored. Either all are stored, numbered without a gap,
   * or none (and no number is used up).
   */
  async append(
    deviceId: string,
    drafts: readonly ((sequence: number) => SyncRecord)[],
    recordedAt: string,
  ): Promise<SyncRecord[]> {
    return this.db.transaction(async (tx) => {
      await tx.query(
        'insert into device_sequence (device_id, last_sequence) values ($1, 0) on conflict (device_id) do nothing',
        [deviceId],
      );
      const { rows } = await tx.query<{ last: number }>(
        'select last_sequence as last from device_sequence where device_id = $1 for update',
        [deviceId],
      );
      const last = rows[0]?.last ?? 0;
      const stored: SyncRecord[] = [];
      for (const [i, draft] of drafts.entries()) {
        const sequence = last + 1 + i;
        const record = syncRecord.parse(draft(sequence));
        if (record.sequence !== sequence || record.deviceId !== deviceId)
          throw new Error(`record ${record.submissionId} does not carry its device and number`);
        await tx.query(
          `insert into queue (device_id, seq, submission_id, kind, visit_id, record, recorded_at)
           values ($1, $2, $3, $4, $5, $6::jsonb, $7)`,
          [deviceId, sequence, record.submissionId, record.kind, record.visitId, JSON.stringify(record), recordedAt],
        );
        stored.push(record);
      }
      await tx.query('update device_sequence set last_sequence = $2 where device_id = $1', [
        deviceId,
        last + drafts.length,
      ]);
      return stored;
    });
  }

  async pendingCount(): Promise<number> {
    const { rows } = await this.db.query<{ n: number }>(
      `select count(*)::int as n from queue where status = 'pending'`,
    );
    return rows[0]?.n ?? 0;
  }

  /** The oldest pending items, in sequence order. */
  async pending(limit: number): Promise<PendingItem[]> {
    const { rows } = await this.db.query<{
      sequence: number;
      submission_id: string;
      record: unknown;
      attempts: number;
    }>(
      `select seq as sequence, submission_id, record, attempts from queue where status = 'pending'
       order by device_id, seq limit $1`,
      [limit],
    );
    return rows.map((row) => ({
      sequence: row.sequence,
      submissionId: row.submission_id,
      record: syncRecord.parse(row.record),
      attempts: row.attempts,
    }));
  }

  /** A batch is about to be sent: counts the attempt on its items and notes the time. */
  async noteAttempt(submissionIds: readonly string[], at: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx.query(
        `update queue set attempts = attempts + 1 where status = 'pending' and submission_id = any($1::uuid[])`,
        [submissionIds],
      );
      await setMeta(tx, 'last_attempt_at', at);
    });
  }

  /** A batch got no answer (or one that cannot be taken): the items stay pending with the reason. */
  async noteFailure(submissionIds: readonly string[], message: string, at: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx.query(`update queue set last_error = $2 where status = 'pending' and submission_id = any($1::uuid[])`, [
        submissionIds,
        message,
      ]);
      await setMeta(tx, 'last_error', { at, message });
    });
  }

  /**
   * The answers to a batch, in one transaction: each item answered gets its answer (a duplicate its first answer)
   * and is marked answered. An item already answered keeps its answer. Returns how many were newly answered.
   */
  async storeAnswers(
    answers: readonly { readonly submissionId: string; readonly result: SyncItemResult }[],
    at: string,
  ): Promise<number> {
    return this.db.transaction(async (tx) => {
      let stored = 0;
      for (const { submissionId, result } of answers) {
        const { answer, duplicate } = answerOf(result);
        const { affectedRows } = await tx.query(
          `update queue set status = 'answered', answer = $2::jsonb, answer_status = $3, duplicate = $4,
             answered_at = $5, last_error = null
           where submission_id = $1 and status = 'pending'`,
          [submissionId, JSON.stringify(answer), answer.status, duplicate, at],
        );
        stored += affectedRows ?? 0;
      }
      await setMeta(tx, 'last_success_at', at);
      return stored;
    });
  }

  async status(): Promise<StoreStatus> {
    const held = binding.parse((await metaValue(this.db, 'binding')) ?? {});
    const { rows: counts } = await this.db.query<{ status: string; answer_status: string | null; n: number }>(
      `select status, answer_status, count(*)::int as n from queue group by status, answer_status`,
    );
    const answered: Record<AnswerStatus, number> = { accepted: 0, 'recorded-as-conflict': 0, conflict: 0, rejected: 0 };
    let pending = 0;
    for (const row of counts) {
      if (row.status === 'pending') pending += row.n;
      const status = ANSWER_STATUSES.find((s) => s === row.answer_status);
      if (status) answered[status] += row.n;
    }
    const { rows: dup } = await this.db.query<{ n: number }>('select count(*)::int as n from queue where duplicate');
    const { rows: attention } = await this.db.query<{
      submission_id: string;
      visit_id: string;
      sequence: number;
      duplicate: boolean;
      answer: unknown;
    }>(
      `select submission_id, visit_id, seq as sequence, duplicate, answer from queue
       where answer_status in ('recorded-as-conflict', 'conflict', 'rejected') order by device_id, seq`,
    );
    const { rows: manifests } = await this.db.query<{
      date: string;
      version: string;
      visits: number;
      pulled_at: unknown;
    }>(
      `select date, version, jsonb_array_length(body -> 'visits')::int as visits, pulled_at from manifests order by date`,
    );
    const lastAttempt = await metaValue(this.db, 'last_attempt_at');
    const lastSuccess = await metaValue(this.db, 'last_success_at');
    const error = lastError.safeParse(await metaValue(this.db, 'last_error'));
    return {
      kitId: held.kitId,
      deviceId: held.deviceId,
      pending,
      answered,
      duplicates: dup[0]?.n ?? 0,
      lastAttemptAt: typeof lastAttempt === 'string' ? lastAttempt : undefined,
      lastSuccessAt: typeof lastSuccess === 'string' ? lastSuccess : undefined,
      lastError: error.success ? error.data : undefined,
      attention: attention.map((row) => ({
        submissionId: row.submission_id,
        visitId: row.visit_id,
        sequence: row.sequence,
        duplicate: row.duplicate,
        answer: storedAnswer.parse(row.answer),
      })),
      manifests: manifests.map((row) => ({
        date: row.date,
        version: row.version,
        visits: row.visits,
        pulledAt: iso(row.pulled_at) ?? '',
      })),
    };
  }

  /** Every queued record with its state, in sequence order (for tests and audits of the kit itself). */
  async queue(): Promise<
    { sequence: number; submissionId: string; status: string; answer: StoredAnswer | undefined }[]
  > {
    const { rows } = await this.db.query<{ sequence: number; submission_id: string; status: string; answer: unknown }>(
      'select seq as sequence, submission_id, status, answer from queue order by device_id, seq',
    );
    return rows.map((row) => ({
      sequence: row.sequence,
      submissionId: row.submission_id,
      status: row.status,
      answer: row.answer === null ? undefined : storedAnswer.parse(row.answer),
    }));
  }
}
