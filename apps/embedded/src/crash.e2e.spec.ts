/**
 * `pnpm start` killed with SIGKILL 20 times at random moments while a client opens cases, as the chaos run did. The
 * client does what a well-behaved one does: each case has its own Idempotency-Key, and a request without an answer
 * (connection refused or reset, 409 in progress, 5xx) is sent again with the same key until it gets its 201. After
 * the last restart: every case that got a 201 exists exactly once, has exactly one eligibility pre-check, and none
 * is missing — nothing the relay, the bus or a consumer held in memory was lost with a process.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PostgresEventStore } from '@buergerkoffer/shared/event-sourcing';
import { LocalKeys } from '@buergerkoffer/shared/http';
import { type ServiceProcess, useServiceProcesses } from '@buergerkoffer/shared/testing';
import { afterAll, describe, expect, it } from 'vitest';

const main = fileURLToPath(new URL('./main.ts', import.meta.url));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('`pnpm start` killed 20 times while cases are opened', () => {
  const start = useServiceProcesses();
  const dirs: string[] = [];
  afterAll(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it('ends with every case that got a 201 opened once and pre-checked once, none missing', {
    timeout: 900_000,
  }, async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'bk-crash-'));
    dirs.push(dataDir);
    const keys = await LocalKeys.loadOrCreate(dataDir); // the app signs and verifies with the same key file
    const tenantId = 'bochum';
    const agent = await keys.sign({ subject: 'agent-1', tenantId, roles: ['intake-agent'] });
    const officer = await keys.sign({ subject: 'officer-1', tenantId, roles: ['eligibility-officer'] });
    const env = { DATA_DIR: dataDir, LOG_LEVEL: 'warn' };
    let app: ServiceProcess = await start(main, env);

    let stopping = false;
    const confirmed = new Map<string, string>(); // Idempotency-Key → caseId (from the 201)
    const openWithRetries = async (key: string, familyName: string) => {
      const body = JSON.stringify({
        applicant: {
          givenNames: 'Erika',
          familyName,
          birthDate: '1941-03-12',
          address: { street: 'Hauptstraße', houseNumber: '5', postalCode: '44787', city: 'Bochum' },
        },
        requestedServices: ['id-card'],
        mobility: { careLevel: 4, disabilityMarks: [], permanentlyHomebound: true },
        channel: 'phone-115',
      });
      for (;;) {
        const url = app.url; // the current process (each restart listens on a new port)
        const response = await fetch(`${url}/intake/cases`, {
          method: 'POST',
          headers: { authorization: `Bearer ${agent}`, 'content-type': 'application/json', 'idempotency-key': key },
          body,
          signal: AbortSignal.timeout(30_000),
        }).catch(() => undefined);
        if (response?.status === 201) {
          confirmed.set(key, ((await response.json()) as { caseId: string }).caseId);
          return;
        }
        if (response && response.status < 500 && response.status !== 409) {
          throw new Error(`unexpected ${response.status}: ${await response.text()}`);
        }
        await sleep(200); // no answer, in progress, or 5xx: the same request again
      }
    };
    const client = async (worker: number) => {
      for (let i = 0; !stopping; i++) await openWithRetries(`crash-${worker}-${i}`, `Muster-${worker}-${i}`);
    };
    const clients = [client(0), client(1), client(2)];

    const seed = randomBytes(4).readUInt32BE(0);
    let state = seed;
    const random = () => {
      state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
      return state / 2 ** 32;
    };
    process.stderr.write(`crash run: seed ${seed}\n`);
    for (let kill = 0; kill < 20; kill++) {
      await sleep(200 + random() * 2_500); // a random moment: opening, relaying, pre-checking, or starting up
      app.child.kill('SIGKILL');
      await app.exited;
      app = await start(main, env);
    }
    // However slow the machine, the run covers at least 30 cases: the clients go on after the last kill until then.
    while (confirmed.size < 30) await sleep(100);
    stopping = true;
    await Promise.all(clients);

    // Every confirmed case is pre-checked by the last process, with nothing more to do for a restart.
    const caseIds = [...confirmed.values()];
    const deadline = Date.now() + 300_000;
    let missing = caseIds;
    while (missing.length > 0) {
      if (Date.now() > deadline) throw new Error(`never pre-checked: ${missing.join(', ')}`);
      const found = await Promise.all(
        missing.map(async (id) => {
          const response = await fetch(`${app.url}/eligibility/assessments/${id}`, {
            headers: { authorization: `Bearer ${officer}` },
          });
          return response.status === 200 ? undefined : id;
        }),
      );
      missing = found.filter((id): id is string => id !== undefined);
      if (missing.length > 0) await sleep(500);
    }
    app.child.kill('SIGTERM');
    expect(await app.exited).toBe(0);

    // Counted in the store itself, once the process is gone (PGlite allows one process at a time).
    const store = await PostgresEventStore.embedded(join(dataDir, 'eventstore'));
    try {
      const opened = await store.readAll({
        filter: { streamCategories: ['intakeCase'], eventTypePrefixes: ['CaseOpened'] },
      });
      const prechecked = await store.readAll({
        filter: { streamCategories: ['eligibility'], eventTypePrefixes: ['AssessmentPrechecked'] },
      });
      const count = (ids: (string | undefined)[]) => {
        const counts = new Map<string, number>();
        for (const id of ids) if (id) counts.set(id, (counts.get(id) ?? 0) + 1);
        return counts;
      };
      const openings = count(opened.map((e) => e.metadata.caseId));
      const checks = count(prechecked.map((e) => e.metadata.caseId));
      // No case twice (a retry found its case), and no case that no client was told about beyond the one each
      // client may have had in flight when it stopped (it got its 201, so it is confirmed too).
      expect([...openings.values()].every((n) => n === 1)).toBe(true);
      expect(new Set(openings.keys())).toEqual(new Set(caseIds));
      for (const id of caseIds) expect(checks.get(id)).toBe(1);
      process.stderr.write(`crash run: ${caseIds.length} cases over 20 kills, each opened once and pre-checked once\n`);
    } finally {
      await store.close();
    }
  });
});
