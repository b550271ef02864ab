import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, inject } from 'vitest';

export interface TestDatabase {
  /** Connection URL of this test file's own database. */
  readonly url: string;
  readonly name: string;
  /** A pool on the database, created on first use and closed after the file. */
  pool(): pg.Pool;
}

/** `postgres://…/<db>` with the database name replaced. */
export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

/** Creates a fresh, uniquely named database on the server at `adminUrl`; `drop` removes it (ending its sessions). */
export async function createDatabase(
  adminUrl: string,
  prefix: string,
): Promise<{ name: string; url: string; drop: () => Promise<void> }> {
  const name = `${prefix}_${randomBytes(5).toString('hex')}`.toLowerCase().replace(/[^a-z0-9_]/g, '_');
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`create database "${name}"`);
  } finally {
    await admin.end();
  }
  return {
    name,
    url: withDatabase(adminUrl, name),
    drop: async () => {
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      try {
        await client.query(`drop database if exists "${name}" with (force)`);
      } finally {
        await client.end();
      }
    },
  };
}

/**
 * Gives the calling test file a database of its own on the resolved PostgreSQL server, created before its tests and
 * dropped after them, so files and runs never see each other's data. Call at the top of a describe block.
 */
export function useTestDatabase(serverUrl: string): TestDatabase {
  let created: Awaited<ReturnType<typeof createDatabase>> | undefined;
  let pool: pg.Pool | undefined;
  const current = () => {
    if (!created) throw new Error('the test database exists only inside tests (beforeAll has not run)');
    return created;
  };
  beforeAll(async () => {
    created = await createDatabase(serverUrl, `t_${inject('infra').runId}`);
  });
  afterAll(async () => {
    await pool?.end();
    await created?.drop();
  });
  return {
    get url() {
      return current().url;
    },
    get name() {
      return current().name;
    },
    pool() {
      if (!pool) {
        pool = new pg.Pool({ connectionString: current().url, max: 10 });
        // `pool.end()` resolves before its idle clients have finished ending, so the forced drop after the file can
        // terminate one of them: without a listener that error would be an uncaught exception failing the whole run.
        pool.on('error', () => undefined);
      }
      return pool;
    },
  };
}
