/**
 * The little the PostgreSQL adapter needs of a database connection, so the same SQL runs on the PostgreSQL server
 * (`pg`) and on the embedded engine (PGlite).
 */
import type { PGlite } from '@electric-sql/pglite';
import pg from 'pg';

export interface SqlError extends Error {
  readonly code?: string;
  readonly detail?: string;
}

export interface Sql {
  query<Row extends Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<Row[]>;
  /** Runs several statements (no parameters), e.g. a migration. */
  exec(text: string): Promise<void>;
  /** Runs `work` in one transaction on one connection. */
  transaction<T>(work: (sql: Omit<Sql, 'transaction' | 'listen' | 'close'>) => Promise<T>): Promise<T>;
  /** LISTEN on a channel; the returned function stops listening. */
  listen(
    channel: string,
    onNotify: (payload: string) => void,
    onError: (error: Error) => void,
  ): Promise<() => Promise<void>>;
  close(): Promise<void>;
  readonly dialect: 'postgres' | 'pglite';
}

/** A `pg` pool (the PostgreSQL server). LISTEN uses a dedicated client outside the pool. */
export function pgSql(config: pg.PoolConfig | string, options: { ownsPool?: boolean } = {}): Sql {
  const poolConfig = typeof config === 'string' ? { connectionString: config } : config;
  const pool = new pg.Pool({ max: 10, ...poolConfig });
  pool.on('error', () => undefined); // an idle client's error is surfaced on its next use
  const owns = options.ownsPool ?? true;
  const run = async <Row extends Record<string, unknown>>(
    client: pg.Pool | pg.PoolClient,
    text: string,
    params?: readonly unknown[],
  ) => (await client.query<Row>(text, params as unknown[] | undefined)).rows;
  return {
    dialect: 'postgres',
    query: (text, params) => run(pool, text, params),
    exec: async (text) => void (await pool.query(text)),
    async transaction(work) {
      const client = await pool.connect();
      try {
        await client.query('begin');
        const result = await work({
          query: (text, params) => run(client, text, params),
          exec: async (text) => void (await client.query(text)),
          dialect: 'postgres',
        });
        await client.query('commit');
        return result;
      } catch (error) {
        await client.query('rollback').catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
    },
    async listen(channel, onNotify, onError) {
      const client = new pg.Client(poolConfig);
      client.on('notification', (message) => {
        if (message.channel === channel) onNotify(message.payload ?? '');
      });
      client.on('error', onError);
      try {
        await client.connect();
        await client.query(`listen "${channel}"`);
      } catch (error) {
        await client.end().catch(() => undefined);
        throw error;
      }
      return async () => {
        client.removeAllListeners('notification');
        await client.end().catch(() => undefined);
      };
    },
    close: async () => {
      if (owns) await pool.end();
    },
  };
}

/** An embedded PGlite database (in memory, or persisted in a directory). */
export function pgliteSql(db: PGlite, options: { ownsDb?: boolean } = {}): Sql {
  const owns = options.ownsDb ?? true;
  return {
    dialect: 'pglite',
    query: async <Row extends Record<string, unknown>>(text: string, params?: readonly unknown[]) =>
      (await db.query<Row>(text, params ? [...params] : undefined)).rows,
    exec: async (text) => void (await db.exec(text)),
    transaction: (work) =>
      db.transaction((tx) =>
        work({
          query: async <Row extends Record<string, unknown>>(text: string, params?: readonly unknown[]) =>
            (await tx.query<Row>(text, params ? [...params] : undefined)).rows,
          exec: async (text) => void (await tx.exec(text)),
          dialect: 'pglite',
        }),
      ),
    async listen(channel, onNotify) {
      const unsubscribe = await db.listen(channel, onNotify);
      return async () => unsubscribe();
    },
    close: async () => {
      if (owns && !db.closed) await db.close();
    },
  };
}
