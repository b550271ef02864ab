/**
 * `kit record` killed (SIGKILL) while it records, on a real PGlite directory: the directory opens again, every
 * submission id the process printed is in the queue exactly once, and the sequence numbers run 1, 2, 3 … without a
 * gap — and the next record takes the next number, never one given before.
 */
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAY, DEVICE, KIT, kitEnv, manifestOf, recordLines, STAFF, VISIT } from './kit.fixture.ts';
import { KIT_CLI, killAll, kit, lines, start } from './kit-process.fixture.ts';
import { KitStore } from './store.ts';

const loop = fileURLToPath(new URL('./record-loop.fixture.ts', import.meta.url));

/** The queue as it is on disk, read by a process of its own (this one) after the writer died. */
async function queueOf(dir: string) {
  const store = await KitStore.open(dir);
  try {
    return await store.queue();
  } finally {
    await store.close();
  }
}

const expectGapFree = (queue: readonly { sequence: number }[]) =>
  expect(queue.map((item) => item.sequence)).toEqual(queue.map((_, i) => i + 1));

describe('a kit killed while it records', () => {
  let root: string;
  let template: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'bk-kit-crash-'));
    // A store with the day's manifest, made once (PGlite's first start is the slow part) and copied per test.
    template = join(root, 'template');
    const store = await KitStore.open(template);
    await store.bind(KIT, DEVICE);
    await store.saveManifest(manifestOf(DAY, 'm-1', 2), new Date().toISOString());
    await store.close();
  });
  afterAll(async () => {
    killAll();
    await rm(root, { recursive: true, force: true });
  });
  const fresh = async (name: string) => {
    const dir = join(root, name);
    await cp(template, dir, { recursive: true });
    return dir;
  };

  describe('one record per transaction, many in a row', () => {
    it('keeps every id it printed exactly once, numbered without a gap; the next record takes the next number', {
      timeout: 120_000,
    }, async () => {
      const dir = await fresh('loop');
      const child = start(loop, [dir], kitEnv({}));
      await child.until(({ stdout }) => lines(stdout).length >= 40);
      child.child.kill('SIGKILL');
      const exit = await child.exit;
      expect(exit.signal).toBe('SIGKILL');
      const printed = lines(exit.stdout);

      const queue = await queueOf(dir);
      const ids = queue.map((item) => item.submissionId);
      expect(new Set(ids).size).toBe(ids.length);
      for (const id of printed) expect(ids.filter((x) => x === id)).toHaveLength(1);
      // At most the one committed as it was killed, before its id was printed.
      expect(queue.length - printed.length).toBeGreaterThanOrEqual(0);
      expect(queue.length - printed.length).toBeLessThanOrEqual(1);
      expectGapFree(queue);
      expect(queue.every((item) => item.status === 'pending')).toBe(true);

      const next = await kit(['record', 'visit-ended', '--visit', VISIT, '--by', STAFF], kitEnv({ KIT_DATA_DIR: dir }));
      expect(next.code, next.stderr).toBe(0);
      const after = await queueOf(dir);
      expect(after.at(-1)).toMatchObject({ submissionId: lines(next.stdout)[0], sequence: queue.length + 1 });
    });
  });

  describe('a JSONL input of 2,000 records (one transaction)', () => {
    it('is kept whole or not at all; what it printed is kept; the numbers have no gap', {
      timeout: 120_000,
    }, async () => {
      const dir = await fresh('jsonl');
      const input = recordLines(1_998)
        .map((line) => JSON.stringify(line))
        .join('\n');
      const child = start(KIT_CLI, ['record', '--jsonl', '-'], kitEnv({ KIT_DATA_DIR: dir }), input);
      // Killed as it stores (or, on a fast machine, just after): either way the same must hold.
      await child.until(({ stderr }) => stderr.includes('storing 2000 records'));
      child.child.kill('SIGKILL');
      const exit = await child.exit;
      const printed = lines(exit.stdout);

      const queue = await queueOf(dir);
      expect([0, 2_000]).toContain(queue.length);
      if (printed.length > 0) expect(printed).toEqual(queue.map((item) => item.submissionId));
      expectGapFree(queue);

      // Recorded again after the crash: the numbers go on from the last one kept.
      const again = await kit(['record', '--jsonl', '-'], kitEnv({ KIT_DATA_DIR: dir }), input);
      expect(again.code, again.stderr).toBe(0);
      const after = await queueOf(dir);
      expect(after).toHaveLength(queue.length + 2_000);
      expect(after.slice(queue.length).map((item) => item.submissionId)).toEqual(lines(again.stdout));
      expectGapFree(after);
    });
  });

  describe('an input with one invalid line', () => {
    it('stores nothing, names the line and field, and exits 2', { timeout: 120_000 }, async () => {
      const dir = await fresh('invalid');
      const input = [
        ...recordLines(2),
        { kind: 'visit-started', visitId: VISIT, recordedBy: STAFF, photo: 'iVBORw0KGgo=' },
      ]
        .map((line) => JSON.stringify(line))
        .join('\n');
      const run = await kit(['record', '--jsonl', '-'], kitEnv({ KIT_DATA_DIR: dir }), input);
      expect(run.code).toBe(2);
      expect(run.stdout).toBe('');
      expect(run.stderr).toContain('line 5: photo: not a field of this record');
      expect(run.stderr).not.toContain('iVBORw0KGgo');
      expect(await queueOf(dir)).toEqual([]);
    });
  });
});
