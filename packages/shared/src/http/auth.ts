/**
 * Authentication and authorisation. Every route but health, metrics and API docs needs a bearer JWT carrying the
 * caller's `sub`, `roles` and `tenant` (municipality). Production verifies against the OIDC issuer's JWKS (issuer,
 * audience, expiry); the embedded mode signs and verifies with a local key kept in its data directory.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  exportJWK,
  generateKeyPair,
  importJWK,
  type JSONWebKeySet,
  type JWK,
  type JWTPayload,
  jwtVerify,
  SignJWT,
} from 'jose';
import { z } from 'zod';
import { forbidden, unauthorized } from './problem.ts';

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
}

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
  interface FastifyContextConfig {
    /** A route anyone may call (health, metrics, docs). */
    public?: boolean;
  }
}

export interface TokenVerifier {
  verify(token: string): Promise<Principal>;
}

const claims = z.object({
  sub: z.string().min(1),
  tenant: z.string().min(1),
  roles: z.array(z.enum(ROLES)).min(1),
});

const toPrincipal = (payload: JWTPayload): Principal => {
  const parsed = claims.safeParse(payload);
  if (!parsed.success)
    throw unauthorized(`token claims: ${parsed.error.issues.map((i) => i.path.join('.')).join(', ')}`);
  return { subject: parsed.data.sub, tenantId: parsed.data.tenant, roles: parsed.data.roles };
};

export const LOCAL_ISSUER = 'urn:buergerkoffer:embedded';
export const AUDIENCE = 'buergerkoffer';

/** Verifies against an OIDC issuer's published keys. */
export function oidcVerifier(options: { issuer: string; audience: string; jwksUri: string }): TokenVerifier {
  const keys = createRemoteJWKSet(new URL(options.jwksUri));
  return {
    async verify(token) {
      const { payload } = await jwtVerify(token, keys, { issuer: options.issuer, audience: options.audience }).catch(
        () => {
          throw unauthorized('the token is invalid or expired');
        },
      );
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

  async sign(
    principal: { subject: string; tenantId: string; roles: readonly Role[] },
    ttlSeconds = 8 * 3600,
  ): Promise<string> {
    const key = await importJWK(this.#privateJwk, 'ES256');
    return new SignJWT({ tenant: principal.tenantId, roles: [...principal.roles] })
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
      issuer: LOCAL_ISSUER,
      audience: AUDIENCE,
    }).catch(() => {
      throw unauthorized('the token is invalid or expired');
    });
    return toPrincipal(payload);
  }
}

/** Requires a valid bearer token on every route not marked `config: { public: true }`. */
export function registerAuthentication(app: FastifyInstance, verifier: TokenVerifier): void {
  app.addHook('onRequest', async (request) => {
    if (request.routeOptions.config?.public) return;
    const header = request.headers.authorization;
    const match = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
    if (!match?.[1]) throw unauthorized();
    request.principal = await verifier.verify(match[1]);
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
