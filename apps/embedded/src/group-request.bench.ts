/**
 * `pnpm bench group-request`: a group request with 60 residents (the most the route takes, ~23 KB of JSON) on the
 * embedded system as `pnpm start` runs it — PGlite persisted in a data directory, every service, relays, projections
 * and the in-process bus in the one process — over real HTTP from a client in the same process. Per run:
 *   - total: from sending the request until its 201,
 *   - settled: until the last resident's pre-check (eligibility, via the bus) can be read,
 *   - event-loop block: the longest the loop could not run a timer while the request and what it set off ran
 *     (monitorEventLoopDelay's max, and the worst lateness of a concurrent 10 ms interval),
 *   - /healthz: the slowest answer to a client asking every 10 ms meanwhile (what every other tenant waited),
 *   - CPU: the process's CPU time until the 201.
 * Baseline in the same run: the 1-resident group request, measured the same way (60 × its total is what the
 * residents cost one by one).
 * Aim (issue 11, item 9): 60 residents under 1 s in total and under 200 ms of event-loop block.
 *
 * Environment: BENCH_RUNS (default 7 runs of each size, after one warm-up).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { LocalKeys } from '@buergerkoffer/shared/http';
import { createLogger } from '@buergerkoffer/shared/observability';
import { buildEmbedded } from './app.ts';

/** A preferred date `days` after today (UTC): group requests refuse dates in the past. */
const daysAhead = (days: number): string => new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);

const runs = Math.max(1, Number(process.env.BENCH_RUNS ?? '7'));
const dataDir = await mkdtemp(join(tmpdir(), 'bk-group-bench-'));
const app = await buildEmbedded({ logger: createLogger({ service: 'embedded', level: 'silent' }), dataDir });
await app.listen({ port: 0, host: '127.0.0.1' });
const address = app.server.address();
const base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
const keys = await LocalKeys.loadOrCreate(dataDir);
const authorization = async (role: 'intake-agent' | 'eligibility-officer') =>
  `Bearer ${await keys.sign({ subject: `${role}-1`, tenantId: 'bochum', roles: [role] })}`;
const agent = { authorization: await authorization('intake-agent'), 'content-type': 'application/json' };
const officer = { authorization: await authorization('eligibility-officer') };

const place = { street: 'Parkweg', houseNumber: '1', postalCode: '44787', city: 'Bochum' };
const registered = await fetch(`${base}/intake/institutions`, {
  method: 'POST',
  headers: agent,
  body: JSON.stringify({
    name: 'Haus am Park',
    kind: 'care-home',
    address: place,
    contact: { name: 'Frau Heim', phone: '+49 234 222' },
  }),
});
const { institutionId } = (await registered.json()) as { institutionId: string };

let request = 0;
/** A group request as an institution sends it: every resident with name, address, phone, e-mail, mobility. */
const groupBody = (residents: number) =>
  JSON.stringify({
    residents: Array.from({ length: residents }, (_, i) => ({
      applicant: {
        givenNames: `Anna Maria ${i}`,
        familyName: `Beispiel-Mustermann ${request}-${i}`,
        birthDate: `19${30 + (i % 20)}-0${1 + (i % 9)}-1${i % 10}`,
        address: { ...place, houseNumber: String(1 + i) },
        phone: '+49 234 111111',
        email: `bewohner${i}@haus-am-park.example`,
      },
      requestedServices: ['id-card', 'life-certificate'],
      mobility: { careLevel: 4, disabilityMarks: ['aG'], permanentlyHomebound: true },
    })),
    preferredDates: [daysAhead(1), daysAhead(8)],
  });

interface Sample {
  totalMs: number;
  settledMs: number;
  blockMs: number;
  intervalLateMs: number;
  healthzMs: number;
  cpuMs: number;
  bytes: number;
}

async function groupRequest(residents: number): Promise<Sample> {
  request++;
  const body = groupBody(residents);
  const delay = monitorEventLoopDelay({ resolution: 1 });
  let last = performance.now();
  let intervalLate = 0;
  const interval = setInterval(() => {
    const now = performance.now();
    intervalLate = Math.max(intervalLate, now - last - 10);
    last = now;
  }, 10);
  let probing = true;
  let healthz = 0;
  // From when a probe was due (10 ms after the last answer) until its answer: a probe that cannot even be sent
  // while the loop is held counts that wait too.
  const prober = (async () => {
    while (probing) {
      const due = performance.now();
      await (await fetch(`${base}/healthz`)).arrayBuffer();
      healthz = Math.max(healthz, performance.now() - due);
      const next = performance.now() + 10;
      await sleep(10);
      healthz = Math.max(healthz, performance.now() - next);
    }
  })();
  // The histogram records from its second tick on (the first only sets its clock): let it tick before starting.
  delay.enable();
  await sleep(25);
  delay.reset();
  const cpu = process.cpuUsage();
  const start = performance.now();
  const response = await fetch(`${base}/intake/institutions/${institutionId}/group-requests`, {
    method: 'POST',
    headers: { ...agent, 'idempotency-key': `bench-${request}` },
    body,
  });
  const answer = (await response.json()) as { caseIds?: string[] };
  const totalMs = performance.now() - start;
  const used = process.cpuUsage(cpu);
  if (response.status !== 201 || !answer.caseIds) throw new Error(`group request answered ${response.status}`);
  // Settled: the last resident's case went through relay, bus and pre-check (the cases are opened in order).
  const lastCase = answer.caseIds.at(-1);
  for (;;) {
    const assessment = await fetch(`${base}/eligibility/assessments/${lastCase}`, { headers: officer });
    await assessment.arrayBuffer();
    if (assessment.status === 200) break;
    await sleep(20);
  }
  const settledMs = performance.now() - start;
  delay.disable();
  clearInterval(interval);
  probing = false;
  await prober;
  return {
    totalMs,
    settledMs,
    blockMs: delay.max / 1e6,
    intervalLateMs: intervalLate,
    healthzMs: healthz,
    cpuMs: (used.user + used.system) / 1000,
    bytes: body.length,
  };
}

const percentile = (samples: readonly number[], p: number) => {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
};
const f = (value: number) => value.toFixed(0).padStart(7);

const results: { residents: number; samples: Sample[] }[] = [];
for (const residents of [1, 60]) {
  await groupRequest(residents); // warm-up
  const samples: Sample[] = [];
  for (let i = 0; i < runs; i++) samples.push(await groupRequest(residents));
  results.push({ residents, samples });
}
await app.close();
await rm(dataDir, { recursive: true, force: true });

const [load1 = 0, load5 = 0] = loadavg();
console.log(
  `group request on the embedded system (PGlite in a data directory), ${runs} runs each, ms; ` +
    `${cpus().length} cores, load average ${load1.toFixed(1)} / ${load5.toFixed(1)} (1 / 5 min) at the end`,
);
console.log(
  `${'residents'.padEnd(10)} ${'bytes'.padStart(6)} ${'tot p50'.padStart(7)} ${'tot p99'.padStart(7)} ${'settled'.padStart(7)} ${'block'.padStart(7)} ${'blk max'.padStart(7)} ${'10ms tmr'.padStart(8)} ${'healthz'.padStart(7)} ${'cpu p50'.padStart(7)}`,
);
for (const { residents, samples } of results) {
  const of = (pick: (s: Sample) => number) => samples.map(pick);
  console.log(
    `${String(residents).padEnd(10)} ${String(samples[0]?.bytes ?? 0).padStart(6)} ${f(
      percentile(
        of((s) => s.totalMs),
        50,
      ),
    )} ${f(
      percentile(
        of((s) => s.totalMs),
        99,
      ),
    )} ${f(
      percentile(
        of((s) => s.settledMs),
        50,
      ),
    )} ${f(
      percentile(
        of((s) => s.blockMs),
        50,
      ),
    )} ${f(Math.max(...of((s) => s.blockMs)))} ${f(Math.max(...of((s) => s.intervalLateMs))).padStart(8)} ${f(Math.max(...of((s) => s.healthzMs)))} ${f(
      percentile(
        of((s) => s.cpuMs),
        50,
      ),
    )}`,
  );
}
for (const { residents, samples } of results) {
  const runs = samples.map((s) => `${f(s.totalMs).trim()}/${f(s.blockMs).trim()}/${f(s.healthzMs).trim()}`);
  console.log(`  ${residents} resident(s), each run total/block/healthz: ${runs.join('  ')}`);
}
const one = results[0]?.samples ?? [];
const sixty = results[1]?.samples ?? [];
const ratio =
  percentile(
    sixty.map((s) => s.totalMs),
    50,
  ) /
  (60 *
    percentile(
      one.map((s) => s.totalMs),
      50,
    ));
console.log(
  `60 residents / (60 × 1 resident), total p50: ${ratio.toFixed(2)}×; aim: total < 1000 ms, block < 200 ms — ` +
    `block column: monitorEventLoopDelay max (p50 over runs, then the worst run); 10ms tmr: worst lateness of a 10 ms interval; healthz: slowest /healthz meanwhile`,
);
