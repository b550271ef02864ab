/**
 * `kit sync` and `kit status` as processes on a real PGlite directory: against a port where nothing listens (the
 * network down), and against a protocol stub that answers 503 with Retry-After, takes a batch in without answering
 * (the answer lost on the way), or refuses the token. The real service and the real network cut are in
 * services/fieldkit/test/kit-sync.e2e.spec.ts; here the stub makes each case happen exactly when wanted.
 */
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type FirstAnswer, type SyncItemResult, syncRecord, syncRequest } from '@buergerkoffer/shared/contracts';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DAY, DEVICE, KIT, kitEnv, manifestOf, recordLines } from './kit.fixture.ts';
import { KIT_CLI, killAll, kit, lines, start } from './kit-process.fixture.ts';
import { KitStore } from './store.ts';

/**
 * PROTOCOL STUB — not the fieldkit service. It answers POST /fieldkit/kits/{kitId}/sync as the contract says: each
 * submission accepted the first time, answered `duplicate` with that first answer after, `conflict` when its id comes
 * with other content, `rejected` when the item is not a record. On request it first answers 503 with Retry-After,
 * takes batches in without answering, or refuses the token. It records what it was sent and when.
 */
interface SyncStub {
  readonly url: string;
  readonly requests: { readonly at: number; readonly submissionIds: readonly string[] }[];
  /** Submission id → how many times it was taken in (must stay 1). */
  readonly takenIn: Map<string, number>;
  plan: { unavailable: number; retryAfter: string; swallow: number; refuse: boolean };
  /** Resolves once a batch has been taken in and its answer withheld. */
  swallowed(): Promise<void>;
  close(): Promise<void>;
}

async function startSyncStub(): Promise<SyncStub> {
  const first = new Map<string, { content: string; answer: FirstAnswer }>();
  const open = new Set<ServerResponse>();
  let onSwallowed = () => {};
  const swallowed = new Promise<void>((resolve) => {
    onSwallowed = resolve;
  });
  const stub = {
    requests: [] as SyncStub['requests'],
    takenIn: new Map<string, number>(),
    plan: { unavailable: 0, retryAfter: '1', swallow: 0, refuse: false },
  };
  const problem = (res: ServerResponse, status: number, title: string, detail: string, headers = {}) => {
    res.writeHead(status, { 'content-type': 'application/problem+json', ...headers });
    res.end(JSON.stringify({ type: `https://stub/${status}`, title, status, detail }));
  };
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const match = /^\/fieldkit\/kits\/([^/]+)\/sync$/.exec(req.url ?? '');
    let text = '';
    for await (const chunk of req) text += String(chunk);
    if (req.method !== 'POST' || !match) return problem(res, 404, 'Not Found', 'no such route');
    if (stub.plan.refuse) return problem(res, 401, 'Unauthorized', 'the token has expired');
    const body = syncRequest.parse(JSON.parse(text));
    stub.requests.push({ at: Date.now(), submissionIds: body.items.map((item) => String(item.submissionId)) });
    if (stub.plan.unavailable > 0) {
      stub.plan.unavailable--;
      return problem(res, 503, 'Service Unavailable', 'try again', { 'retry-after': stub.plan.retryAfter });
    }
    const results: SyncItemResult[] = body.items.map((item, index) => {
      const parsed = syncRecord.safeParse(item);
      if (!parsed.success) return { index, status: 'rejected', errors: [{ field: '(item)', message: 'not a record' }] };
      const record = parsed.data;
      const content = JSON.stringify(record);
      const seen = first.get(record.submissionId);
      if (seen?.content === content)
        return { index, submissionId: record.submissionId, status: 'duplicate', first: seen.answer };
      if (seen)
        return {
          index,
          submissionId: record.submissionId,
          status: 'conflict',
          code: 'submission-id-reused',
          detail: 'other content',
        };
      const answer: FirstAnswer = { status: 'accepted', visitId: record.visitId, sequence: record.sequence };
      first.set(record.submissionId, { content, answer });
      stub.takenIn.set(record.submissionId, (stub.takenIn.get(record.submissionId) ?? 0) + 1);
      return { index, submissionId: record.submissionId, ...answer };
    });
    if (stub.plan.swallow > 0) {
      stub.plan.swallow--;
      open.add(res); // taken in, never answered: the answer is lost on the way
      onSwallowed();
      return;
    }
    const counts = { accepted: 0, duplicate: 0, conflict: 0, 'recorded-as-conflict': 0, rejected: 0 };
    for (const result of results) counts[result.status]++;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ kitId: match[1], results, counts }));
  };
  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => problem(res, 500, 'Internal Server Error', String(error)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return Object.assign(stub, {
    url: `http://127.0.0.1:${portOf(server)}/fieldkit`,
    swallowed: () => swallowed,
    close: async () => {
      for (const res of open) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  });
}

const portOf = (server: Server): number => {
  const address = server.address();
  return typeof address === 'object' && address !== null ? address.port : 0;
};

/** A local port where nothing listens: bound, then let go. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = portOf(server);
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const status = async (env: Record<string, string>) => {
  const run = await kit(['status', '--json'], env);
  expect(run.code, run.stderr).toBe(0);
  return JSON.parse(run.stdout);
};

describe('kit sync', () => {
  let root: string;
  let template: string;
  /** 25 records of one visit, pending, in a store made once and copied per test. */
  const RECORDS = 25;
  let stub: SyncStub | undefined;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'bk-kit-sync-'));
    template = join(root, 'template');
    const store = await KitStore.open(template);
    await store.bind(KIT, DEVICE);
    await store.saveManifest(manifestOf(DAY, 'm-1', 2), new Date().toISOString());
    await store.close();
    const seeded = await kit(
      ['record', '--jsonl', '-'],
      kitEnv({ KIT_DATA_DIR: template }),
      recordLines(RECORDS - 2)
        .map((line) => JSON.stringify(line))
        .join('\n'),
    );
    expect(seeded.code, seeded.stderr).toBe(0);
  }, 120_000);
  afterEach(async () => {
    await stub?.close();
    stub = undefined;
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

  describe('with the network down', () => {
    it('gives up by its deadline with exit 75, everything still pending, the error in status', {
      timeout: 120_000,
    }, async () => {
      const dir = await fresh('down');
      const env = kitEnv({
        KIT_DATA_DIR: dir,
        KIT_URL: `http://127.0.0.1:${await closedPort()}/fieldkit`,
        KIT_TOKEN: 'test-token',
      });
      const run = await kit(['sync', '--deadline', '2', '--timeout', '1'], env);
      expect(run.code, run.stderr).toBe(75);
      expect(run.stderr).toContain(`${RECORDS} of ${RECORDS} still pending`);
      expect(run.stderr).toContain('ECONNREFUSED');
      // Measured inside the process from the start of the sync (not the process's start-up): no wait runs past the
      // deadline; the last try may end a refusal's round trip after it.
      const took = Number(/gave up after ([\d.]+) s/.exec(run.stderr)?.[1]);
      expect(took).toBeLessThanOrEqual(2 + 1);
      expect(run.stderr).not.toContain('test-token');

      const view = await status(env);
      expect(view).toMatchObject({ pending: RECORDS, answered: { accepted: 0, rejected: 0 } });
      expect(view.lastError.message).toContain('ECONNREFUSED');
      expect(view.lastAttemptAt).toEqual(expect.any(String));
      expect(view.lastSuccessAt).toBeNull();
    });
  });

  describe('against a server that answers 503 with Retry-After twice', () => {
    it('sends the same batch again after at least Retry-After, stores every answer, and a re-send doubles nothing', {
      timeout: 120_000,
    }, async () => {
      const dir = await fresh('retry');
      stub = await startSyncStub();
      stub.plan = { unavailable: 2, retryAfter: '1', swallow: 0, refuse: false };
      const env = kitEnv({ KIT_DATA_DIR: dir, KIT_URL: stub.url, KIT_TOKEN: 'test-token' });
      const run = await kit(['sync', '--batch', '10', '--deadline', '60'], env);
      expect(run.code, run.stderr).toBe(0);
      expect(lines(run.stderr).filter((line) => line.startsWith('sync: no answer (HTTP 503'))).toHaveLength(2);
      expect(run.stderr).toContain(`sent ${RECORDS}/${RECORDS}: ${RECORDS} accepted`);

      // 2 refused tries of the first batch, then 3 batches (10, 10, 5), in sequence order.
      const sent = stub.requests.map((r) => r.submissionIds);
      expect(sent.map((ids) => ids.length)).toEqual([10, 10, 10, 10, 5]);
      expect(sent[1]).toEqual(sent[0]);
      expect(sent[2]).toEqual(sent[0]);
      const [a, b, c] = stub.requests;
      expect((b?.at ?? 0) - (a?.at ?? 0)).toBeGreaterThanOrEqual(1000);
      expect((c?.at ?? 0) - (b?.at ?? 0)).toBeGreaterThanOrEqual(1000);
      expect([...stub.takenIn.values()]).toEqual(Array(RECORDS).fill(1));

      const view = await status(env);
      expect(view).toMatchObject({ pending: 0, answered: { accepted: RECORDS }, duplicates: 0 });

      // Nothing pending: a second sync sends nothing, and the server took each in once.
      const again = await kit(['sync'], env);
      expect(again.code).toBe(0);
      expect(again.stdout).toContain('nothing pending');
      expect(stub.requests).toHaveLength(5);
      expect([...stub.takenIn.values()]).toEqual(Array(RECORDS).fill(1));
    });
  });

  describe('killed after the server took a batch in, before the answer arrived', () => {
    it('sends it again on the next sync and stores the first answers (duplicates); the server took each in once', {
      timeout: 120_000,
    }, async () => {
      const dir = await fresh('lost-answer');
      stub = await startSyncStub();
      stub.plan = { unavailable: 0, retryAfter: '1', swallow: 1, refuse: false };
      const env = kitEnv({ KIT_DATA_DIR: dir, KIT_URL: stub.url, KIT_TOKEN: 'test-token' });
      const first = start(KIT_CLI, ['sync', '--batch', '10', '--deadline', '600', '--timeout', '600'], env);
      await stub.swallowed();
      expect(stub.takenIn.size).toBe(10);
      first.child.kill('SIGKILL');
      expect((await first.exit).signal).toBe('SIGKILL');
      expect((await status(env)).pending).toBe(RECORDS);

      const second = await kit(['sync', '--batch', '10'], env);
      expect(second.code, second.stderr).toBe(0);
      expect(second.stderr).toContain('10 duplicate');
      expect([...stub.takenIn.values()]).toEqual(Array(RECORDS).fill(1));
      const view = await status(env);
      expect(view).toMatchObject({ pending: 0, answered: { accepted: RECORDS }, duplicates: 10 });
    });
  });

  describe('with a token the server refuses', () => {
    it('exits 77 with the problem’s title and detail, everything still pending', { timeout: 120_000 }, async () => {
      const dir = await fresh('refused');
      stub = await startSyncStub();
      stub.plan = { unavailable: 0, retryAfter: '1', swallow: 0, refuse: true };
      const env = kitEnv({ KIT_DATA_DIR: dir, KIT_URL: stub.url, KIT_TOKEN: 'expired-token' });
      const run = await kit(['sync'], env);
      expect(run.code).toBe(77);
      expect(run.stderr).toContain('HTTP 401 Unauthorized: the token has expired');
      expect(run.stderr).not.toContain('expired-token');
      expect((await status(env)).pending).toBe(RECORDS);
    });
  });
});
