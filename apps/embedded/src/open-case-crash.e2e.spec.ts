import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LocalKeys } from '@buergerkoffer/shared/http';
import { PGlite } from '@electric-sql/pglite';
import { afterEach, describe, expect, it } from 'vitest';

const main = fileURLToPath(new URL('./main.ts', import.meta.url));

const openCaseBody = {
  applicant: {
    givenNames: 'Erika',
    familyName: 'Mustermann',
    birthDate: '1941-03-12',
    address: { street: 'Hauptstraße', houseNumber: '5', postalCode: '44787', city: 'Bochum' },
  },
  requestedServices: ['id-card'],
  mobility: { careLevel: 4, disabilityMarks: [], permanentlyHomebound: true },
  channel: 'phone-115',
};

/** `pnpm start` (node apps/embedded/src/main.ts) on DATA_DIR; resolves with its URL once it listens. */
async function start(dataDir: string, env: Record<string, string> = {}): Promise<{ child: ChildProcess; url: string }> {
  let output = '';
  const child = spawn(process.execPath, [main], {
    env: { ...process.env, LOG_LEVEL: 'warn', PORT: '0', DATA_DIR: dataDir, ...env },
  });
  child.stdout?.on('data', (chunk) => {
    output += String(chunk);
  });
  child.stderr?.on('data', (chunk) => {
    output += String(chunk);
  });
  const deadline = Date.now() + 90_000;
  for (;;) {
    const url = /listening on (http:\/\/\S+)/.exec(output)?.[1];
    if (url) return { child, url };
    if (child.exitCode !== null || Date.now() > deadline)
      throw new Error(`the embedded system did not start: ${output}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('opening a case across a crash of the embedded process', () => {
  const children: ChildProcess[] = [];
  const dirs: string[] = [];
  afterEach(async () => {
    for (const child of children.splice(0))
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
  });

  it('answers the retry with the same case and reference, seconds after the restart, and opens it once', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'bk-crash-'));
    dirs.push(dataDir);

    // With the test fault hook, the process dies right after the store committed CaseOpened: no answer, the key
    // left in progress.
    const faulty = await start(dataDir, { BK_TEST_FAULT: 'kill-after-case-opened' });
    children.push(faulty.child);
    const keys = await LocalKeys.loadOrCreate(dataDir);
    const token = await keys.sign({ subject: 'agent-crash', tenantId: 'bochum', roles: ['intake-agent'] });
    const post = (url: string) =>
      fetch(`${url}/intake/cases`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          'idempotency-key': 'crash-retry-1',
        },
        body: JSON.stringify(openCaseBody),
      });
    const exited = once(faulty.child, 'exit');
    await expect(post(faulty.url)).rejects.toThrow();
    const [, signal] = await exited;
    expect(signal).toBe('SIGKILL');

    // Restarted on the same data without the hook, the client retries with the same key until the answer is no
    // longer "in progress" (each such answer says when to come back).
    const restarted = await start(dataDir);
    children.push(restarted.child);
    let answer = await post(restarted.url);
    const deadline = Date.now() + 60_000; // well short of the two minutes a dead owner's key used to block
    while (answer.status === 409 && Date.now() < deadline) {
      const problem = (await answer.json()) as { code: string };
      expect(problem.code).toBe('request-in-progress');
      const retryAfter = answer.headers.get('retry-after') ?? '';
      expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
      expect(Number(retryAfter)).toBeLessThanOrEqual(10);
      await new Promise((resolve) => setTimeout(resolve, 250));
      answer = await post(restarted.url);
    }
    expect(answer.status).toBe(201);
    const opened = (await answer.json()) as { caseId: string; reference: string; status: string };
    expect(opened).toMatchObject({ status: 'open', reference: expect.stringMatching(/^MB-\d{4}-\d{5,}$/) });

    // The same answer once more, now replayed from the completed key; the case reads with that reference.
    const replay = await post(restarted.url);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(await replay.json()).toEqual(opened);
    const read = await fetch(`${restarted.url}/intake/cases/${opened.caseId}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(((await read.json()) as { reference: string }).reference).toBe(opened.reference);

    // In the store: this case opened once, and one reference assigned — to it.
    restarted.child.kill('SIGTERM');
    await once(restarted.child, 'exit');
    const db = await PGlite.create(join(dataDir, 'eventstore'));
    try {
      const { rows } = await db.query<{ type: string; case_id: string; reference: string }>(
        `select type, data ->> 'caseId' as case_id, data ->> 'reference' as reference from es_events
          where type in ('CaseOpened', 'CaseReferenceAssigned') order by position`,
      );
      expect(rows).toEqual([
        { type: 'CaseReferenceAssigned', case_id: opened.caseId, reference: opened.reference },
        { type: 'CaseOpened', case_id: opened.caseId, reference: opened.reference },
      ]);
    } finally {
      await db.close();
    }
  });
});
