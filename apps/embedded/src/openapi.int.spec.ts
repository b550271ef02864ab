import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalKeys } from '@buergerkoffer/shared/http';
import { createLogger } from '@buergerkoffer/shared/observability';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { buildEmbedded } from './app.ts';

/** As much of OpenAPI 3.1 as these tests read; the rest passes (loose objects). */
const media = z.record(z.string(), z.looseObject({ schema: z.looseObject({}).optional() }));
const operation = z.looseObject({
  summary: z.string().optional(),
  operationId: z.string().optional(),
  tags: z.array(z.string()).optional(),
  parameters: z.array(z.looseObject({ in: z.string(), name: z.string(), required: z.boolean().optional() })).optional(),
  responses: z.record(z.string(), z.looseObject({ description: z.string(), content: media.optional() })),
});
const openapiDocument = z.looseObject({
  openapi: z.string(),
  info: z.looseObject({ title: z.string(), description: z.string(), license: z.looseObject({ name: z.string() }) }),
  servers: z.array(z.looseObject({ url: z.string() })),
  paths: z.record(z.string(), z.record(z.string(), operation)),
  components: z.looseObject({
    schemas: z.record(
      z.string(),
      z.looseObject({ properties: z.record(z.string(), z.unknown()), required: z.array(z.string()) }),
    ),
  }),
});
type Operation = z.infer<typeof operation>;

const WRITES = ['post', 'put', 'patch', 'delete'];
const PROBLEM_REF = '#/components/schemas/Problem';
/** The changes that need If-Match (their handlers call `ifMatchRevision`). */
const IF_MATCH_OPERATIONS = [
  'eligibilityDecideNecessity',
  'intakeAttachEvidence',
  'intakeChangeServices',
  'intakeUpdateContactPerson',
  'intakeWithdrawCase',
  'schedulingCancelAbsence',
  'schedulingCancelVisit',
  'schedulingChangeKitDetails',
  'schedulingChangeSettings',
  'schedulingChangeWorkingHours',
  'schedulingConfirmVisit',
  'schedulingDeactivateStaffMember',
  'schedulingRecordAbsence',
  'schedulingRemoveParticipant',
  'schedulingRescheduleVisit',
  'schedulingWithdrawKit',
];

describe('the OpenAPI document of the embedded system', () => {
  let dataDir: string;
  let app: Awaited<ReturnType<typeof buildEmbedded>>;
  let document: z.infer<typeof openapiDocument>;
  let operations: { method: string; path: string; op: Operation }[];
  const byId = (operationId: string) => {
    const found = operations.find(({ op }) => op.operationId === operationId);
    if (!found) throw new Error(`no operation ${operationId}`);
    return found.op;
  };
  const header = (op: Operation, name: string) => op.parameters?.find((p) => p.in === 'header' && p.name === name);
  const token = async (roles: ('intake-agent' | 'auditor')[]) =>
    (await LocalKeys.loadOrCreate(dataDir)).sign({ subject: 'openapi-1', tenantId: 'bochum', roles });

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'bk-openapi-'));
    app = await buildEmbedded({ logger: createLogger({ service: 'test', level: 'silent' }), dataDir });
    await app.ready();
    const response = await app.inject({ method: 'GET', url: '/docs/json' });
    expect(response.statusCode).toBe(200);
    document = openapiDocument.parse(response.json());
    operations = Object.entries(document.paths).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, op]) => ({ method, path, op })),
    );
  });
  afterAll(async () => {
    await app.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it("lists every service's routes, and no probe, metrics or docs route", () => {
    const paths = Object.keys(document.paths);
    for (const prefix of ['/intake/', '/eligibility/', '/casefile/']) {
      expect(paths.some((path) => path.startsWith(prefix))).toBe(true);
    }
    expect(paths.filter((path) => /\/(healthz|readyz|metrics|docs)\b/.test(path))).toEqual([]);
  });

  it('gives every operation a summary, tags and a camelCase operationId unique in the system', () => {
    const lacking = operations
      .filter(({ op }) => !op.summary || !op.tags?.length || !/^[a-z][a-zA-Z0-9]+$/.test(op.operationId ?? ''))
      .map(({ method, path }) => `${method} ${path}`);
    expect(lacking).toEqual([]);
    const ids = operations.map(({ op }) => op.operationId);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('gives every operation a 2xx answer with its content, and its refusals as problem+json', () => {
    const lacking = operations.flatMap(({ method, path, op }) => {
      const responses = Object.entries(op.responses);
      const success = responses.filter(([status]) => /^2\d\d$/.test(status));
      const problems = responses.filter(([status]) => /^[45]\d\d$/.test(status));
      return [
        ...(success.length > 0 && success.every(([, r]) => Object.values(r.content ?? {}).some((m) => m.schema))
          ? []
          : [`${method} ${path}: no 2xx with a schema`]),
        ...(['401', '429', '500'].every((status) => op.responses[status]) &&
        problems.some(([status]) => status.startsWith('4'))
          ? []
          : [`${method} ${path}: not every refusal`]),
        ...problems
          .filter(([, r]) => r.content?.['application/problem+json']?.schema?.$ref !== PROBLEM_REF)
          .map(([status]) => `${method} ${path}: ${status} is not a Problem`),
        ...responses.filter(([, r]) => r.description === 'Default Response').map(([s]) => `${method} ${path}: ${s}`),
      ];
    });
    expect(lacking).toEqual([]);
  });

  it('documents Idempotency-Key on every write, and If-Match (required, with 412 and 428) on every change', () => {
    const writes = operations.filter(({ method }) => WRITES.includes(method));
    expect(writes.length).toBeGreaterThan(0);
    expect(writes.filter(({ op }) => !header(op, 'idempotency-key') || !op.responses['409'])).toEqual([]);
    expect(
      operations.filter(({ method }) => !WRITES.includes(method)).some(({ op }) => header(op, 'idempotency-key')),
    ).toBe(false);
    const ifMatch = operations.filter(({ op }) => header(op, 'if-match')).map(({ op }) => op.operationId);
    expect(ifMatch.sort()).toEqual(IF_MATCH_OPERATIONS);
    for (const id of IF_MATCH_OPERATIONS) {
      expect(header(byId(id), 'if-match')?.required).toBe(true);
      expect(Object.keys(byId(id).responses)).toEqual(expect.arrayContaining(['412', '428']));
    }
  });

  it('declares the live feeds as text/event-stream with Last-Event-ID, and the printable history as text/html', () => {
    for (const id of ['casefileFollowCaseEvents', 'casefileFollowTenantEvents']) {
      expect(Object.keys(byId(id).responses['200']?.content ?? {})).toEqual(['text/event-stream']);
      expect(header(byId(id), 'last-event-id')).toBeDefined();
    }
    expect(Object.keys(byId('casefileGetCaseHistory').responses['200']?.content ?? {})).toEqual([
      'application/json',
      'text/html',
    ]);
  });

  it('names its license and where it is served, and what every service shares', () => {
    expect(document.openapi).toBe('3.1.0');
    expect(document.info.license.name).toBe('EUPL-1.2');
    expect(document.servers.length).toBeGreaterThan(0);
    expect(document.info.description).toMatch(/Idempotency-Key/);
  });

  it('describes problems as they are answered: the documented fields, the documented media type', async () => {
    const problem = document.components.schemas.Problem;
    expect(problem?.required).toEqual(['type', 'title', 'status', 'code']);
    const authorization = `Bearer ${await token(['intake-agent'])}`;
    const answers = [
      await app.inject({ method: 'GET', url: `/intake/cases/${crypto.randomUUID()}`, headers: { authorization } }),
      await app.inject({ method: 'GET', url: '/intake/cases?page=0', headers: { authorization } }),
      await app.inject({ method: 'GET', url: '/eligibility/rule-sets' }),
    ];
    expect(answers.map((a) => a.statusCode)).toEqual([404, 400, 401]);
    for (const answer of answers) {
      expect(answer.headers['content-type']).toMatch(/^application\/problem\+json/);
      const body = z.record(z.string(), z.unknown()).parse(answer.json());
      for (const field of problem?.required ?? []) expect(body).toHaveProperty(field);
      // Extensions may follow, but nothing the schema names is answered in another form.
      expect(Object.keys(body).filter((key) => !(key in (problem?.properties ?? {})))).toEqual([]);
    }
    expect(answers[1]?.json()).toMatchObject({ errors: [{ field: 'querystring.page', message: expect.any(String) }] });
  });

  it('serves the history in each media type it lists for it', async () => {
    const authorization = `Bearer ${await token(['intake-agent'])}`;
    const opened = await app.inject({
      method: 'POST',
      url: '/intake/cases',
      headers: { authorization },
      payload: {
        applicant: {
          givenNames: 'Erika',
          familyName: 'Mustermann',
          birthDate: '1941-03-12',
          address: { street: 'Hauptstraße', houseNumber: '5', postalCode: '44787', city: 'Bochum' },
        },
        requestedServices: ['id-card'],
        mobility: { careLevel: 4, disabilityMarks: [], permanentlyHomebound: true },
        channel: 'counter',
      },
    });
    expect(opened.statusCode).toBe(201);
    const { caseId } = z.object({ caseId: z.string() }).parse(opened.json());
    const listed = Object.keys(byId('casefileGetCaseHistory').responses['200']?.content ?? {});
    const served = [];
    for (const format of ['json', 'html']) {
      const answer = await app.inject({
        method: 'GET',
        url: `/casefile/cases/${caseId}/history?format=${format}`,
        headers: { authorization },
      });
      expect(answer.statusCode).toBe(200);
      served.push(String(answer.headers['content-type']).split(';')[0]);
    }
    expect(served).toEqual(listed);
  });
});
