import { describe, expect, it } from 'vitest';
import { useTestDatabase } from './postgres.ts';
import { describeWith } from './requirements.ts';

describeWith('postgres', 'the real PostgreSQL server', (serverUrl) => {
  const db = useTestDatabase(serverUrl);

  describe('a test file', () => {
    it('works in a database of its own, not the server default', async () => {
      const { rows } = await db.pool().query<{ db: string }>('select current_database() as db');
      expect(rows[0]?.db).toBe(db.name);
      expect(db.name).toMatch(/^t_[a-z0-9]+_[0-9a-f]{10}$/);
    });
  });

  describe('writes', () => {
    it('reads back what a committed transaction wrote, and nothing of a rolled-back one', async () => {
      const pool = db.pool();
      await pool.query('create table smoke (id int primary key, payload jsonb not null)');
      const client = await pool.connect();
      try {
        await client.query('begin');
        await client.query('insert into smoke values ($1, $2), ($3, $4)', [1, { a: 1 }, 2, { b: [2] }]);
        await client.query('commit');
        await client.query('begin');
        await client.query('insert into smoke values ($1, $2)', [3, { c: 3 }]);
        await client.query('rollback');
      } finally {
        client.release();
      }
      const { rows } = await pool.query('select id, payload from smoke order by id');
      expect(rows).toEqual([
        { id: 1, payload: { a: 1 } },
        { id: 2, payload: { b: [2] } },
      ]);
      await expect(pool.query('insert into smoke values ($1, $2)', [1, {}])).rejects.toMatchObject({ code: '23505' });
    });
  });
});
