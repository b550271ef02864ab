/**
 * Authentication and authorisation. Every route but health, metrics and API docs needs a bearer JWT carrying the
 * caller's `sub`, `roles` and `tenant` (municipality). Production verifies against the OIDC issuer's JWKS; the
 * embedded mode signs and verifies with a local key kept in its data directory. Both verify alike (`VERIFY`):
 * issuer, audience, `exp` and `iat` required, at most 12 hours since `iat` (so a token without a usable expiry is
 * never good for long), an `iat` in the future refused, and 60 s of clock skew either way. The tenant is constrained
 * here, where tokens are verified, because it names streams, keys and database rows further in.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  exportJWK,
  generateKeyPair,
  importJWK,
  type JSONWebKeySet,
  type JWK,
  type JWTPayload,
  type JWTVerifyOptions,
  jwtVerify,
  SignJWT,
} from 'jose';
import { z } from 'zod';
import { forbidden, HttpProblem, invalidToken, unauthorized } from './problem.ts';

export const ROLES = [
  'intake-agent',
  'eligibility-officer',
  'scheduler',
  'field-officer',
  'kit-device',
  'auditor',
  'admin',
] as const;
export type Role = (typeof ROLES)[number];

export interface Principal {
  readonly subject: string;
  readonly tenantId: string;
  readonly roles: readonly Role[];
  /** The one kit a `kit-device` token is bound to (its `kit` claim): the kit sees only its own visits. */
  readonly kitId?: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
    /** Why the request's token was refused; thrown once the rate limit has counted the request. */
    authFailure?: HttpProblem;
  }
  interface FastifyContextConfig {
    /** A route anyone may call (health, metrics, docs). */
    public?: boolean;
  }
}

export interface TokenVerifier {
  verify(token: string): Promise<Principal>;
}

/** Longest a token is accepted after it was issued; `LocalKeys.sign` issues none longer. */
export const MAX_TOKEN_AGE_SECONDS = 12 * 3600;
/** How far the issuer's clock and ours may disagree (exp, nbf, iat). */
export const CLOCK_TOLERANCE_SECONDS = 60;

const VERIFY: Pick<JWTVerifyOptions, 'requiredClaims' | 'maxTokenAge' | 'clockTolerance'> = {
  requiredClaims: ['exp', 'iat', 'sub'],
  maxTokenAge: MAX_TOKEN_AGE_SECONDS,
  clockTolerance: CLOCK_TOLERANCE_SECONDS,
};

/** A tenant id as streams, keys and rows use it: a DNS-label-like name (letters, digits, inner hyphens, ≤ 63). */
export const TENANT_PATTERN = /^[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
// The claim may be upper case (BOCHUM is bochum), but only in ASCII: no Unicode case mapping (U+212A, the Kelvin
// sign, lower-cases to k) makes two spellings one tenant.
const tenantClaim = z
  .string()
  .regex(/^[A-Za-z](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/, 'letters, digits and inner hyphens, starting with a letter')
  .transform((tenant) => tenant.toLowerCase());

const claims = z
  .object({
    // No control characters: the subject is joined with \u001f into idempotency keys (commandKeyOf).
    sub: z.string().regex(/^[^\p{Cc}]{1,255}$/u),
    tenant: tenantClaim,
    roles: z.array(z.enum(ROLES)).min(1),
    /** The kit a device token is bound to: required with the role kit-device, which is that kit's only role. */
    kit: z.uuid().optional(),
  })
  .refine((c) => !c.roles.includes('kit-device') || (c.kit !== undefined && c.roles.length === 1), {
    path: ['kit'],
    message: 'a kit-device token names its kit and carries no other role',
  });

const toPrincipal = (payload: JWTPayload): Principal => {
  const parsed = claims.safeParse(payload);
  if (!parsed.success)
    throw invalidToken(`token claims: ${parsed.error.issues.map((i) => i.path.join('.')).join(', ')}`);
  return {
    subject: parsed.data.sub,
    tenantId: parsed.data.tenant,
    roles: parsed.data.roles,
    ...(parsed.data.kit ? { kitId: parsed.data.kit } : {}),
  };
};

export const LOCAL_ISSUER = 'urn:buergerkoffer:embedded';
export const AUDIENCE = 'buergerkoffer';

/** Verifies against an OIDC issuer's published keys. */
export function oidcVerifier(options: { issuer: string; audience: string; jwksUri: string }): TokenVerifier {
  const keys = createRemoteJWKSet(new URL(options.jwksUri));
  return {
    async verify(token) {
      const { payload } = await jwtVerify(token, keys, {
        ...VERIFY,
        issuer: options.issuer,
        audience: options.audience,
      }).catch(() => {
        throw invalidToken();
      });
      return toPrincipal(payload);
    },
  };
}

/** The embedded mode's key pair (ES256), created on first use in `<dataDir>/auth/signing-key.json` (mode 0600). */
export class LocalKeys implements TokenVerifier {
  readonly #privateJwk: JWK;
  readonly #jwks: JSONWebKeySet;

  private constructor(privateJwk: JWK, publicJwk: JWK) {
    this.#privateJwk = privateJwk;
    this.#jwks = { keys: [publicJwk] };
  }

  static async loadOrCreate(dataDir: string): Promise<LocalKeys> {
    const file = join(dataDir, 'auth', 'signing-key.json');
    const stored = await readFile(file, 'utf8').then(
      (text) => JSON.parse(text) as { privateJwk: JWK; publicJwk: JWK },
      () => undefined,
    );
    if (stored) return new LocalKeys(stored.privateJwk, stored.publicJwk);
    const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
    const kid = `local-${Date.now().toString(36)}`;
    const privateJwk = { ...(await exportJWK(privateKey)), kid, alg: 'ES256' };
    const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: 'ES256' };
    await mkdir(join(dataDir, 'auth'), { recursive: true, mode: 0o700 });
    await writeFile(file, JSON.stringify({ privateJwk, publicJwk }), { mode: 0o600, flag: 'wx' }).catch(async () => {
      // Another process created it first: use theirs.
    });
    const again = JSON.parse(await readFile(file, 'utf8')) as { privateJwk: JWK; publicJwk: JWK };
    return new LocalKeys(again.privateJwk, again.publicJwk);
  }

  /** A token of at most `MAX_TOKEN_AGE_SECONDS`: a longer one would be refused by `verify` before it expired. */
  async sign(
    principal: { subject: string; tenantId: string; roles: readonly Role[]; kitId?: string | undefined },
    ttlSeconds = 8 * 3600,
  ): Promise<string> {
    if (ttlSeconds > MAX_TOKEN_AGE_SECONDS) {
      throw new RangeError(`a token may live at most ${MAX_TOKEN_AGE_SECONDS} s (asked: ${ttlSeconds} s)`);
    }
    const key = await importJWK(this.#privateJwk, 'ES256');
    return new SignJWT({
      tenant: principal.tenantId,
      roles: [...principal.roles],
      ...(principal.kitId ? { kit: principal.kitId } : {}),
    })
      .setProtectedHeader({ alg: 'ES256', kid: this.#privateJwk.kid ?? 'local' })
      .setSubject(principal.subject)
      .setIssuer(LOCAL_ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt()
      .setExpirationTime(`${ttlSeconds}s`)
      .sign(key);
  }

  async verify(token: string): Promise<Principal> {
    const { payload } = await jwtVerify(token, createLocalJWKSet(this.#jwks), {
      ...VERIFY,
      issuer: LOCAL_ISSUER,
      audience: AUDIENCE,
    }).catch(() => {
      throw invalidToken();
    });
    return toPrincipal(payload);
  }
}

/** The request's bearer token (RFC 6750 §2.1; the scheme in any case), if it has one. */
export function bearerTokenOf(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  return header ? /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header)?.[1] : undefined;
}

/** Verifies the bearer token, if any: the principal on success, the refusal (not thrown) on failure. */
async function authenticate(request: FastifyRequest, verifier: TokenVerifier): Promise<HttpProblem | undefined> {
  const token = bearerTokenOf(request);
  if (token === undefined) return unauthorized();
  try {
    request.principal = await verifier.verify(token);
    return undefined;
  } catch (error) {
    if (error instanceof HttpProblem) return error;
    throw error;
  }
}

/**
 * Requires a valid bearer token on every route not marked `config: { public: true }`, in one `onRequest` hook that
 * runs before any route's own hooks: verify (without throwing), then `between` (the rate limit, keyed on the verified
 * caller, or on the address where there is none), then refuse. So a refused token is counted like any request and a
 * client guessing tokens meets the limit too; a caller's bucket cannot be re-spelt (it is the verified subject, not
 * the header's text).
 */
export function registerAuthentication(
  app: FastifyInstance,
  verifier: TokenVerifier,
  between?: (request: FastifyRequest, reply: FastifyReply) => Promise<void>,
): void {
  app.addHook('onRequest', async (request, reply) => {
    if (!request.routeOptions.config?.public) request.authFailure = await authenticate(request, verifier);
    await between?.(request, reply);
    if (request.authFailure) throw request.authFailure;
  });
}

/** The authenticated caller; throws 401 where a route forgot to require one. */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw unauthorized();
  return request.principal;
}

/** A route hook (`onRequest`, so it runs before the body is even validated): the caller must have one of `roles`. */
export const requireRole =
  (...roles: readonly Role[]) =>
  async (request: FastifyRequest): Promise<void> => {
    const principal = principalOf(request);
    if (!principal.roles.some((role) => roles.includes(role))) {
      throw forbidden(`requires one of the roles: ${roles.join(', ')}`);
    }
  };
