/**
 * What the OpenAPI document says beyond a route's own zod schemas (docs/api.md). Routes declare what they decide
 * themselves: their answers, the problems only they give (`problemResponses(403, 404)`), the headers they read
 * (`ifMatchHeader`, `lastEventIdHeader`). `openapiTransform` adds what the shared runtime (server.ts) does to every
 * route of a kind: 401 unless public, 429, 500, and on every write `Idempotency-Key` with its 400 and 409. Added in
 * one place, it cannot be forgotten on a route.
 */
import type { SwaggerTransform, SwaggerTransformObject } from '@fastify/swagger';
import { jsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ERASED, UNREADABLE } from '../privacy/crypto.ts';
import { WITHHELD } from '../privacy/disclose.ts';
import { PROBLEM_CONTENT_TYPE } from './problem.ts';

/**
 * RFC 9457 problem details as problem.ts answers them. Loose: a problem may carry extensions (`currentRevision` on
 * a 412, `checks` on a 503), and serialising through this schema must not drop them.
 */
export const problemSchema = z
  .looseObject({
    type: z.string().describe('https://buergerkoffer.example/problems/<code>'),
    title: z.string(),
    status: z.number().int().min(400).max(599),
    code: z.string().describe('Stable: clients branch on it, never on `detail`'),
    detail: z.string().optional(),
    instance: z.string().optional().describe('The request path, without its query'),
    errors: z
      .array(z.object({ field: z.string().describe('e.g. body.applicant.birthDate'), message: z.string() }))
      .optional()
      .describe('On a 400: every offending field'),
  })
  // An id: the document has it once, as `#/components/schemas/Problem` (zod's global registry, which the plugin reads).
  .meta({ id: 'Problem', description: 'A refusal or failure (RFC 9457)' });

const PROBLEMS = {
  400: 'A parameter, header or body field is invalid (each named in `errors`), or the body is not JSON',
  401: 'No bearer token, or one refused (`WWW-Authenticate` says which)',
  403: "The caller's roles do not allow this",
  404: "Not found in the caller's tenant (another tenant's answers alike)",
  409: "The resource's state does not allow this (`code` says why)",
  412: 'If-Match names an older revision (`currentRevision` is the current one)',
  413: 'The body is larger than the limit',
  415: 'The body is not `application/json`',
  428: 'If-Match is missing: send the ETag you read',
  429: 'Too many requests (`Retry-After`)',
  500: 'An unexpected error, logged with the request id; nothing of its cause is said',
} as const;
export type ProblemStatus = keyof typeof PROBLEMS;

type ProblemResponse = {
  readonly description: string;
  readonly content: { readonly 'application/problem+json': { readonly schema: typeof problemSchema } };
};

const problemResponse = (status: ProblemStatus, description: string = PROBLEMS[status]): ProblemResponse => ({
  description,
  content: { [PROBLEM_CONTENT_TYPE]: { schema: problemSchema } },
});

/** Route-level problems, e.g. `...problemResponses(403, 404, 409, 412, 428)` in `response`. */
export function problemResponses<const S extends ProblemStatus>(...statuses: S[]): Record<S, ProblemResponse> {
  return Object.fromEntries(statuses.map((status) => [status, problemResponse(status)])) as Record<S, ProblemResponse>;
}

/** One problem with a description of the route's own (what its 409 means here). */
export const problemResponseFor = <S extends ProblemStatus>(status: S, description: string) =>
  ({ [status]: problemResponse(status, description) }) as Record<S, ProblemResponse>;

/**
 * A response by media type — how a non-JSON answer is declared: fastify serialises by the reply's content type
 * (a string sent as `text/html` is sent as it is; a hijacked SSE reply is never serialised), and the document lists
 * each type under `content`.
 */
export const mediaTypes = <const C extends Record<string, z.ZodType>>(description: string, types: C) => ({
  description,
  content: Object.fromEntries(Object.entries(types).map(([type, schema]) => [type, { schema }])) as {
    [K in keyof C]: { schema: C[K] };
  },
});

const RESPONSE_HEADERS = {
  ETag: { type: 'string', description: '`W/"<revision>"`: send it as If-Match to change the resource' },
  Location: { type: 'string', description: 'Where the resource created is' },
};

/** A JSON answer and the headers it carries (for the document: the serialiser reads the schema, not these). */
export const withHeaders = <T extends z.ZodType>(schema: T, ...names: (keyof typeof RESPONSE_HEADERS)[]): T =>
  schema.meta({ headers: Object.fromEntries(names.map((name) => [name, RESPONSE_HEADERS[name]])) });

export const eventStream = z.string().describe('A stream of Server-Sent Events');
export const htmlDocument = z.string().describe('An HTML document');

const PLACEHOLDERS = [WITHHELD, ERASED, UNREADABLE] as const;
const PERSONAL = 'Personal: the value, or "[withheld]", "[erased]", "[unreadable]"';
/**
 * A personal field as a view answers it: the value, or what stands in for it — "[withheld]" (the caller may not
 * see its kind), "[erased]" (its subject was erased), "[unreadable]" (its key is not at hand).
 */
export const personal = <T extends z.ZodType>(schema: T) => z.union([schema, z.enum(PLACEHOLDERS)]).describe(PERSONAL);
/** A personal text: a placeholder is text too. */
export const personalText = z.string().describe(PERSONAL);

/** Request headers a route reads. Loose: other headers pass; optional: the route, not the schema, refuses. */
export const ifMatchHeader = z.looseObject({
  'if-match': z
    .string()
    .optional()
    .meta({ pattern: '^(W/)?"-?\\d+"$' })
    .describe('The ETag you read (`W/"<revision>"`): 428 without it, 412 when the resource has changed since'),
});
export const lastEventIdHeader = z.looseObject({
  'last-event-id': z
    .string()
    .optional()
    .meta({ pattern: '^\\d{1,16}$' })
    .describe('Resume after this global position (the last `id:` received); without it the feed starts live'),
});

const IDEMPOTENCY_KEY = {
  type: 'string',
  minLength: 1,
  maxLength: 200,
  description:
    'Makes the write safe to retry: the same key and request answer as the first time (`Idempotent-Replayed: true`); kept 24 h per caller',
};

const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const KEY_CONFLICT =
  'the Idempotency-Key was used for another request, or that request is still running (`Retry-After`)';
const PROBLEM_REF = { $ref: '#/components/schemas/Problem' };
const PROBLEM_HEADERS = {
  401: {
    'WWW-Authenticate': { type: 'string', description: 'Bearer, with `error="invalid_token"` for a refused token' },
  },
  429: { 'Retry-After': { type: 'integer', description: 'Seconds until the limit lets the caller in again' } },
};

type JsonObject = Record<string, unknown>;
const isObject = (value: unknown): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The route's schema in JSON, with what the runtime adds to every route of its kind. */
export const openapiTransform: SwaggerTransform = (document) => {
  const { schema, url } = jsonSchemaTransform(document);
  const transformed: JsonObject = { ...schema };
  if (transformed.hide === true) return { schema, url };
  const { route } = document;
  const isWrite = [route.method].flat().some((method) => WRITES.has(method));
  const isPublic = route.config?.public === true;

  const responses: JsonObject = isObject(transformed.response) ? { ...transformed.response } : {};
  const add = (status: ProblemStatus) => {
    responses[status] ??= {
      description: PROBLEMS[status],
      ...(status in PROBLEM_HEADERS ? { headers: PROBLEM_HEADERS[status as keyof typeof PROBLEM_HEADERS] } : {}),
      content: { [PROBLEM_CONTENT_TYPE]: { schema: PROBLEM_REF } },
    };
  };
  const validated = ['body', 'params', 'querystring', 'headers'].some((part) => transformed[part] !== undefined);
  if (validated || isWrite) add(400);
  if (!isPublic) add(401);
  if (isWrite) {
    // Whatever else a write's 409 means, it also answers a reused or busy Idempotency-Key (idempotency.ts).
    add(409);
    const conflict = responses[409];
    if (isObject(conflict))
      responses[409] = { ...conflict, description: `${String(conflict.description)}; or ${KEY_CONFLICT}` };
  }
  if (transformed.body !== undefined) {
    add(413);
    add(415);
  }
  add(429);
  add(500);
  transformed.response = responses;

  const headers: JsonObject = isObject(transformed.headers) ? { ...transformed.headers } : { type: 'object' };
  const properties: JsonObject = isObject(headers.properties) ? { ...headers.properties } : {};
  const required = Array.isArray(headers.required) ? [...headers.required] : [];
  if (isWrite) properties['idempotency-key'] = IDEMPOTENCY_KEY;
  // Optional to the schema, so that its absence is the route's 428 rather than a 400; required all the same.
  if ('if-match' in properties && !required.includes('if-match')) required.push('if-match');
  if (Object.keys(properties).length > 0) transformed.headers = { ...headers, properties, required };

  if (isPublic) transformed.security = [];
  return { schema: transformed, url };
};

/** The document with the components of zod's registry, less those nothing refers to (the input variants). */
export const openapiTransformObject: SwaggerTransformObject = (document) => {
  const object = jsonSchemaTransformObject(document);
  // A fresh object of the plugin's making: pruned in place.
  const schemas = 'components' in object ? object.components?.schemas : undefined;
  if (!schemas) return object;
  for (let removed = true; removed; ) {
    removed = false;
    const text = JSON.stringify(object);
    for (const name of Object.keys(schemas)) {
      if (!text.includes(`"#/components/schemas/${name}"`)) {
        delete schemas[name];
        removed = true;
      }
    }
  }
  return object;
};

/** What every service's API shares, for the document's description. */
export const API_CONVENTIONS = `
- Every route but the probes needs a bearer JWT (\`sub\`, \`tenant\`, \`roles\`); a resource of another tenant answers 404.
- Refusals and failures are RFC 9457 \`application/problem+json\` with a stable \`code\`.
- Reads and writes answer \`ETag: W/"<revision>"\`; a change needs \`If-Match\` (428 without, 412 when stale).
- Every write (POST, PUT, PATCH, DELETE) takes an \`Idempotency-Key\`: a retry with the same key and request answers as the first time.
- Personal fields read "[withheld]" where the caller's role and purpose may not see them, "[erased]" once their subject is erased.
`.trim();
