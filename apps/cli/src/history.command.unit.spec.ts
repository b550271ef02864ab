import type { FoundSystem, SystemState } from '@buergerkoffer/embedded/system-state';
import { describe, expect, it } from 'vitest';
import {
  type HistoryArgs,
  type HistoryEvent,
  parseApiUrl,
  parseHistoryArgs,
  renderHistoryTable,
  renderProblem,
  renderState,
  resolveApiUrl,
  runHistory,
  upTo,
} from './history.command.ts';

const caseId = '01a212bf-bc8a-703a-ba4e-8027a54184b5';

const parsedOk = (argv: string[]): HistoryArgs => {
  const parsed = parseHistoryArgs(argv);
  if (parsed.ok !== true) throw new Error(`expected valid arguments: ${JSON.stringify(parsed)}`);
  return parsed.value;
};
const parsedError = (argv: string[]): string => {
  const parsed = parseHistoryArgs(argv);
  if (parsed.ok !== false) throw new Error(`expected an error: ${JSON.stringify(parsed)}`);
  return parsed.message;
};

describe('pnpm casefile history: arguments', () => {
  it('takes the case id and a purpose; tenant and output default, the URL is left to resolveApiUrl', () => {
    expect(parsedOk([caseId, '--purpose', 'complaint', '--reference', 'complaint 2025/17'])).toEqual({
      caseId,
      purpose: 'complaint',
      reference: 'complaint 2025/17',
      at: undefined,
      json: false,
      url: undefined,
      token: undefined,
      tenant: 'default',
    });
  });

  it('reads --at as a global position when it is a whole number, else as an ISO time', () => {
    expect(parsedOk([caseId, '--purpose', 'audit', '--at', '1234']).at).toEqual({ position: 1234 });
    expect(parsedOk([caseId, '--purpose', 'audit', '--at', '2025-03-01T10:00:00Z']).at).toEqual({
      time: '2025-03-01T10:00:00Z',
    });
    expect(parsedOk([caseId, '--purpose', 'audit', '--at', '2025-03-01']).at).toEqual({ time: '2025-03-01' });
    expect(parsedError([caseId, '--purpose', 'audit', '--at', 'yesterday'])).toMatch(/--at must be/);
    // The server needs the zone: a time without one is refused here, before any page is fetched.
    expect(parsedError([caseId, '--purpose', 'audit', '--at', '2025-03-01T10:00'])).toMatch(/with a zone/);
    expect(parsedError([caseId, '--purpose', 'audit', '--at=-3'])).toMatch(/--at must be/);
  });

  it('takes --json, --token, --tenant and a --url without its trailing slash', () => {
    const args = parsedOk([
      caseId,
      '--json',
      '--purpose=audit',
      '--token',
      'jwt',
      '--tenant',
      'bochum',
      '--url',
      'https://cases.example/casefile/',
    ]);
    expect(args).toMatchObject({ json: true, token: 'jwt', tenant: 'bochum', url: 'https://cases.example/casefile' });
  });

  it('refuses a missing case id or purpose, a blank purpose, extra arguments, unknown options and bad URLs', () => {
    expect(parsedError(['--purpose', 'audit'])).toMatch(/case id is missing/);
    expect(parsedError([caseId])).toMatch(/--purpose is required/);
    expect(parsedError([caseId, '--purpose', '  '])).toMatch(/--purpose is required/);
    expect(parsedError([caseId, 'other', '--purpose', 'audit'])).toMatch(/unexpected argument: other/);
    expect(parsedError([caseId, '--purpose', 'audit', '--verbose'])).toMatch(/verbose/);
    expect(parsedError([caseId, '--purpose', 'audit', '--url', 'not a url'])).toMatch(/--url is not a URL/);
    expect(parsedError([caseId, '--purpose', 'audit', '--url', 'ftp://x/'])).toMatch(/http/);
  });

  it('answers help for --help and -h', () => {
    expect(parseHistoryArgs(['--help'])).toEqual({ ok: 'help' });
    expect(parseHistoryArgs([caseId, '-h'])).toEqual({ ok: 'help' });
  });
});

const running: SystemState = {
  url: 'http://127.0.0.1:3456',
  port: 3456,
  pid: 4242,
  dataDir: '/tmp/bk',
  startedAt: '2026-11-25T09:00:00.000Z',
};

describe('pnpm casefile history: which API it calls', () => {
  it('calls the running system on DATA_DIR, at the port in its system.json (not a guessed 3000)', () => {
    expect(
      resolveApiUrl({
        flag: undefined,
        env: undefined,
        dataDir: '/tmp/bk',
        found: { status: 'running', state: running },
      }),
    ).toEqual({ ok: true, value: 'http://127.0.0.1:3456/casefile' });
  });

  it('prefers --url, then BK_URL, over the state file', () => {
    const found: FoundSystem = { status: 'running', state: running };
    expect(resolveApiUrl({ flag: 'https://a.example', env: 'https://b.example', dataDir: '/d', found })).toEqual({
      ok: true,
      value: 'https://a.example',
    });
    expect(resolveApiUrl({ flag: undefined, env: 'https://b.example/casefile/', dataDir: '/d', found })).toEqual({
      ok: true,
      value: 'https://b.example/casefile',
    });
    expect(resolveApiUrl({ flag: undefined, env: 'ftp://b', dataDir: '/d', found })).toEqual({
      ok: false,
      message: 'BK_URL must be http(s), got ftp:',
    });
  });

  it('refuses to guess when nothing runs, naming the directory and how to point at the system', () => {
    const none = resolveApiUrl({ flag: undefined, env: undefined, dataDir: '/work/.data', found: { status: 'none' } });
    expect(none.ok).toBe(false);
    if (none.ok) return;
    expect(none.message).toContain('no embedded system runs on /work/.data');
    expect(none.message).toContain('DATA_DIR=<its data directory> pnpm casefile history');
    expect(none.message).toContain('BK_URL=');
    const stale = resolveApiUrl({
      flag: undefined,
      env: undefined,
      dataDir: '/tmp/bk',
      found: { status: 'stale', state: running, reason: 'process 4242 no longer runs' },
    });
    expect(stale.ok).toBe(false);
    if (stale.ok) return;
    expect(stale.message).toContain('process 4242 no longer runs');
  });

  it('reads a URL without its trailing slash, http(s) only', () => {
    expect(parseApiUrl('--url', 'http://127.0.0.1:3000/casefile/')).toEqual({
      ok: true,
      value: 'http://127.0.0.1:3000/casefile',
    });
    expect(parseApiUrl('BK_URL', 'localhost:3000')).toMatchObject({ ok: false });
  });
});

const events: HistoryEvent[] = [
  {
    position: 7,
    recordedAt: '2025-03-01T10:00:00.000Z',
    service: 'intake',
    stream: `intakeCase-${caseId}`,
    type: 'CaseOpened',
    actor: { id: 'agent-1', role: 'intake-agent' },
    correlationId: 'c-1',
    data: {},
  },
  {
    position: 1042,
    recordedAt: '2025-03-01T10:00:01.000Z',
    service: 'eligibility',
    stream: `eligibility-${caseId}`,
    type: 'AssessmentPrechecked',
    actor: null,
    correlationId: 'c-1',
    data: {},
  },
];

describe('pnpm casefile history: output', () => {
  it('renders a table of position, time, service, type and actor, aligned, with a count', () => {
    expect(renderHistoryTable(events)).toBe(
      [
        'POSITION  TIME                      SERVICE      TYPE                  ACTOR',
        '       7  2025-03-01T10:00:00.000Z  intake       CaseOpened            agent-1 (intake-agent)',
        '    1042  2025-03-01T10:00:01.000Z  eligibility  AssessmentPrechecked  —',
        '2 events',
      ].join('\n'),
    );
    expect(renderHistoryTable([])).toBe('POSITION  TIME  SERVICE  TYPE  ACTOR\n0 events');
  });

  it('renders the state with its status first and nested values as JSON', () => {
    expect(
      renderState({ caseId, asOf: '2025-03-01T10:00:00.000Z', status: 'open', services: ['id-card'], revision: 2 }),
    ).toBe(
      [
        `case:     ${caseId}`,
        'as of:    2025-03-01T10:00:00.000Z',
        'status:   open',
        'services: ["id-card"]',
        'revision: 2',
      ].join('\n'),
    );
  });

  it('keeps the events up to --at, by position or by time', () => {
    expect(upTo(events, { position: 100 }).map((e) => e.position)).toEqual([7]);
    expect(upTo(events, { time: '2025-03-01T10:00:00.500Z' }).map((e) => e.position)).toEqual([7]);
    expect(upTo(events, undefined)).toHaveLength(2);
  });

  it('renders a problem as title: detail, with its field errors', () => {
    expect(
      renderProblem(400, {
        title: 'Bad Request',
        detail: 'invalid query',
        errors: [{ field: 'querystring.purpose', message: 'required' }],
      }),
    ).toBe('Bad Request: invalid query\n  querystring.purpose: required');
    expect(renderProblem(502, '<html>bad gateway</html>')).toBe('HTTP 502');
  });
});

describe('pnpm casefile history against a stand-in API', () => {
  const run = async (args: HistoryArgs, answer: (url: URL) => Response) => {
    const out: string[] = [];
    const err: string[] = [];
    const urls: URL[] = [];
    const code = await runHistory(
      { ...args, url: args.url ?? 'http://127.0.0.1:3000/casefile' },
      {
        token: 'jwt',
        stdout: (text) => out.push(text),
        stderr: (text) => err.push(text),
        fetch: async (input, init) => {
          const url = new URL(String(input));
          urls.push(url);
          expect(new Headers(init?.headers).get('authorization')).toBe('Bearer jwt');
          return answer(url);
        },
      },
    );
    return { code, out: out.join(''), err: err.join(''), urls };
  };
  const json = (body: unknown, status = 200) =>
    new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

  it('follows `next` until null, then prints every event and, with --at, the state', async () => {
    const args = parsedOk([caseId, '--purpose', 'audit', '--reference', 'AZ 1', '--at', '2000', '--json']);
    const { code, out, urls } = await run(args, (url) => {
      if (url.pathname.endsWith('/state')) return json({ caseId, asOf: '2025-03-01T10:00:01.000Z', status: 'open' });
      return url.searchParams.get('after') === null
        ? json({ caseId, events: [events[0]], next: 'c2' })
        : json({ caseId, events: [events[1]], next: null });
    });
    expect(code).toBe(0);
    expect(urls.map((u) => `${u.pathname}?${u.searchParams}`)).toEqual([
      `/casefile/cases/${caseId}/history?purpose=audit&reference=AZ+1&limit=1000`,
      `/casefile/cases/${caseId}/history?purpose=audit&reference=AZ+1&limit=1000&after=c2`,
      `/casefile/cases/${caseId}/state?at=2000&purpose=audit&reference=AZ+1`,
    ]);
    expect(JSON.parse(out)).toEqual({
      caseId,
      events,
      state: { caseId, asOf: '2025-03-01T10:00:01.000Z', status: 'open' },
    });
  });

  it('prints the problem to stderr and exits 1 on an error answer', async () => {
    const { code, out, err } = await run(parsedOk([caseId, '--purpose', 'audit']), () =>
      json({ type: 'about:blank', title: 'Forbidden', status: 403, detail: 'auditors only' }, 403),
    );
    expect({ code, out, err }).toEqual({ code: 1, out: '', err: 'Forbidden: auditors only\n' });
  });

  it('refuses an answer that is not a history page, naming the field, instead of printing nonsense', async () => {
    const { code, out, err } = await run(parsedOk([caseId, '--purpose', 'audit']), () =>
      json({ caseId, events: [{ ...events[0], position: 'seven' }], next: null }),
    );
    expect({ code, out }).toEqual({ code: 1, out: '' });
    expect(err).toMatch(/^unexpected history page from the casefile API: events\.0\.position: /);
  });

  it('keeps fields it does not know in --json (the API may add some)', async () => {
    const { out } = await run(parsedOk([caseId, '--purpose', 'audit', '--json']), () =>
      json({ caseId, events: [{ ...events[0], revision: 0, schemaVersion: 1 }], next: null }),
    );
    expect(JSON.parse(out).events[0]).toMatchObject({ revision: 0, schemaVersion: 1 });
  });

  it('names the cause when the API does not answer at all', async () => {
    const out: string[] = [];
    const code = await runHistory(
      { ...parsedOk([caseId, '--purpose', 'audit']), url: 'http://127.0.0.1:9/casefile' },
      {
        token: 'jwt',
        stdout: () => undefined,
        stderr: (text) => out.push(text),
        fetch: async () => {
          throw new TypeError('fetch failed', { cause: new Error('connect ECONNREFUSED 127.0.0.1:9') });
        },
      },
    );
    expect(code).toBe(1);
    expect(out.join('')).toBe(
      'casefile API at http://127.0.0.1:9/casefile: fetch failed: connect ECONNREFUSED 127.0.0.1:9\n',
    );
  });
});
