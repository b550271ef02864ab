/**
 * The casefile service over a real store (PGlite or the PostgreSQL server), listening on a real port (live feeds
 * need a real HTTP client), and writers that append events shaped as intake and eligibility store them — sealed
 * by the real PersonalDataStore with intake's kinds of personal fields.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PostgresEventStore, type Sql, uuidv7 } from '@buergerkoffer/shared/event-sourcing';
import { createHttpApp, LocalKeys, type Role } from '@buergerkoffer/shared/http';
import { createLogger } from '@buergerkoffer/shared/observability';
import { type PersonalDataPolicy, PersonalDataStore, PostgresKeyStore } from '@buergerkoffer/shared/privacy';
import { buildService, type FeedOptions } from '../src/service.ts';

const policy: PersonalDataPolicy = {
  CaseOpened: [
    {
      subject: 'applicant.subjectId',
      fields: [
        'applicant.givenNames',
        'applicant.familyName',
        'applicant.birthDate',
        'applicant.address',
        'applicant.phone',
        'mobility',
      ],
    },
  ],
  AssessmentPrechecked: [{ subject: 'applicantSubjectId', fields: ['input.mobility'] }],
};

export interface CasefileFixture {
  readonly url: string;
  readonly sql: Sql;
  readonly store: PersonalDataStore;
  readonly keys: PostgresKeyStore;
  readonly auth: (role: Role, tenantId?: string, subject?: string) => Promise<Record<string, string>>;
  readonly get: (
    path: string,
    role: Role,
    tenantId?: string,
    // The parsed JSON, as `inject().json()` gives it: tests assert on it field by field.
  ) => Promise<{ status: number; body: ReturnType<typeof JSON.parse>; text: string; headers: Record<string, unknown> }>;
  readonly close: () => Promise<void>;
}

export async function casefileApp(sql: Sql, feeds: FeedOptions = {}): Promise<CasefileFixture> {
  const dir = await mkdtemp(join(tmpdir(), 'bk-casefile-'));
  const tokens = await LocalKeys.loadOrCreate(dir);
  const sealed = await PostgresEventStore.open(sql, { pollIntervalMs: 200 });
  const keys = await PostgresKeyStore.open(sql, randomBytes(32));
  const app = await createHttpApp({
    logger: createLogger({ service: 'casefile', level: 'silent' }),
    verifier: tokens,
    sql,
    openapi: { title: 'casefile', version: '1' },
  });
  await app.register(buildService({ store: sealed, keyStore: keys, sql, now: () => new Date(), feeds }));
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  const auth = async (role: Role, tenantId = 'bochum', subject = `${role}-1`) => ({
    authorization: `Bearer ${await tokens.sign({ subject, tenantId, roles: [role] })}`,
  });
  return {
    url,
    sql,
    store: new PersonalDataStore(sealed, keys, policy),
    keys,
    auth,
    get: async (path, role, tenantId) => {
      const response = await fetch(`${url}${path}`, { headers: await auth(role, tenantId) });
      const text = await response.text();
      const type = response.headers.get('content-type') ?? '';
      return {
        status: response.status,
        text,
        body: type.includes('json') ? JSON.parse(text) : undefined,
        headers: Object.fromEntries(response.headers),
      };
    },
    close: async () => {
      await app.close();
      await sealed.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A case as intake and eligibility record it: opened, pre-checked, decided. */
export function caseWriter(store: PersonalDataStore, tenantId = 'bochum') {
  const caseId = uuidv7();
  const subjectId = uuidv7();
  const meta = (role: string, correlationId = uuidv7()) => ({
    tenantId,
    caseId,
    actor: { id: `${role}-7`, role },
    correlationId,
  });
  return {
    caseId,
    subjectId,
    open: () =>
      store.append(`intakeCase-${caseId}`, [
        {
          id: uuidv7(),
          type: 'CaseOpened',
          data: {
            caseId,
            reference: 'MB-2026-00042',
            applicant: {
              subjectId,
              givenNames: 'Erika',
              familyName: 'Mustermann',
              birthDate: '1931-04-02',
              address: { street: 'Hauptstraße', houseNumber: '5', postalCode: '44787', city: 'Bochum' },
              phone: '0234 123456',
            },
            requestedServices: ['id-card'],
            mobility: { careLevel: 4, disabilityMarks: [], permanentlyHomebound: true },
            channel: 'phone-115',
            possibleDuplicateOf: [],
            openedAt: new Date().toISOString(),
          },
          metadata: meta('intake-agent'),
        },
      ]),
    precheck: (outcome = 'likely-eligible') =>
      store.append(`eligibility-${caseId}`, [
        {
          id: uuidv7(),
          type: 'AssessmentPrechecked',
          data: {
            caseId,
            applicantSubjectId: subjectId,
            input: {
              requestedServices: ['id-card'],
              mobility: { careLevel: 4, disabilityMarks: [], permanentlyHomebound: true },
            },
            precheck: {
              outcome,
              ruleSetVersion: 3,
              rules: [{ rule: 'min-care-level', passed: true, detail: 'care level 4 ≥ 4' }],
            },
            checkedAt: new Date().toISOString(),
          },
          metadata: { ...meta('system'), actor: { id: 'eligibility', role: 'system' } },
        },
      ]),
    approve: () =>
      store.append(`eligibility-${caseId}`, [
        {
          id: uuidv7(),
          type: 'NecessityConfirmed',
          data: {
            caseId,
            ruleSetVersion: 3,
            reason: 'care level notice seen',
            decidedBy: 'eligibility-officer-7',
            decidedAt: new Date().toISOString(),
          },
          metadata: meta('eligibility-officer'),
        },
      ]),
    note: (text: string) =>
      store.append(`intakeCase-${caseId}`, [
        {
          id: uuidv7(),
          type: 'ServicesChanged',
          data: {
            caseId,
            added: [],
            removed: [],
            requestedServices: ['id-card', text],
            changedAt: new Date().toISOString(),
          },
          metadata: meta('intake-agent'),
        },
      ]),
  };
}

export interface SseEvent {
  readonly id: string | undefined;
  readonly event: string | undefined;
  readonly data: string;
  readonly retry: number | undefined;
}

/** A real SSE client on node:http: frames as they arrive, comments counted, and control over reading. */
export function openFeed(url: string, headers: Record<string, string>) {
  const events: SseEvent[] = [];
  let comments = 0;
  let status = 0;
  let response: IncomingMessage | undefined;
  const waiters = new Set<() => void>();
  const notify = () => {
    for (const wake of waiters) wake();
  };
  let ended!: () => void;
  const done = new Promise<void>((resolve) => {
    ended = resolve;
  });
  const ready = new Promise<IncomingMessage>((resolve, reject) => {
    const req = httpRequest(url, { headers: { accept: 'text/event-stream', ...headers } }, (res) => {
      response = res;
      status = res.statusCode ?? 0;
      res.setEncoding('utf8');
      let buffer = '';
      res.on('data', (chunk: string) => {
        buffer += chunk;
        for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const fields: Record<string, string> = {};
          let onlyComments = true;
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) continue;
            onlyComments = false;
            const colon = line.indexOf(':');
            const key = colon < 0 ? line : line.slice(0, colon);
            fields[key] =
              (fields[key] ? `${fields[key]}\n` : '') + (colon < 0 ? '' : line.slice(colon + 1).trimStart());
          }
          if (onlyComments) comments++;
          else if (fields.data !== undefined) {
            events.push({
              id: fields.id,
              event: fields.event,
              data: fields.data,
              retry: fields.retry ? Number(fields.retry) : undefined,
            });
          }
        }
        notify();
      });
      res.on('close', () => {
        ended();
        notify();
      });
      resolve(res);
    });
    req.on('error', reject);
    req.end();
  });
  return {
    events,
    ready,
    done,
    get status() {
      return status;
    },
    get comments() {
      return comments;
    },
    /** Stops reading from the socket (the server's writes pile up), as a stalled client would. */
    pause: () => response?.pause(),
    close: () => {
      response?.destroy();
    },
    /** Resolves once `predicate` holds, or rejects after `timeoutMs`. */
    until: (predicate: () => boolean, timeoutMs = 5_000) =>
      new Promise<void>((resolve, reject) => {
        if (predicate()) return resolve();
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`feed condition not met within ${timeoutMs} ms (${events.length} events so far)`));
        }, timeoutMs);
        const check = () => {
          if (!predicate()) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve();
        };
        waiters.add(check);
      }),
  };
}
