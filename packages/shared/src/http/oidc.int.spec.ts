/** The production verifier against a real JWKS endpoint (a local HTTP server publishing the issuer's keys). */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { oidcVerifier, type TokenVerifier } from './auth.ts';

describe('the OIDC verifier', () => {
  let server: Server;
  let privateKey: Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];
  let verifier: TokenVerifier;
  let issuer: string;
  let jwksRequests = 0;

  beforeAll(async () => {
    const pair = await generateKeyPair('RS256', { extractable: true });
    privateKey = pair.privateKey;
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'key-1', alg: 'RS256', use: 'sig' };
    server = createServer((request, response) => {
      jwksRequests++;
      if (request.url !== '/certs') return void response.writeHead(404).end();
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    issuer = `http://127.0.0.1:${port}/realms/bochum`;
    verifier = oidcVerifier({ issuer, audience: 'buergerkoffer', jwksUri: `http://127.0.0.1:${port}/certs` });
  });
  afterAll(async () => new Promise<void>((resolve) => server.close(() => resolve())));

  const token = (
    claims: Record<string, unknown>,
    options: { iss?: string; aud?: string; exp?: string | false; iat?: number | false } = {},
  ) => {
    const jwt = new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid: 'key-1' })
      .setSubject('officer-1')
      .setIssuer(options.iss ?? issuer)
      .setAudience(options.aud ?? 'buergerkoffer');
    if (options.iat !== false) jwt.setIssuedAt(options.iat);
    if (options.exp !== false) jwt.setExpirationTime(options.exp ?? '5m');
    return jwt.sign(privateKey);
  };
  const now = () => Math.floor(Date.now() / 1_000);
  const refused = {
    status: 401,
    headers: { 'www-authenticate': 'Bearer realm="buergerkoffer", error="invalid_token"' },
  };
  const claims = { tenant: 'bochum', roles: ['admin'] };

  it("accepts the issuer's token and reads subject, tenant and roles from it", async () => {
    const principal = await verifier.verify(await token({ tenant: 'bochum', roles: ['eligibility-officer'] }));
    expect(principal).toEqual({ subject: 'officer-1', tenantId: 'bochum', roles: ['eligibility-officer'] });
    expect(jwksRequests).toBeGreaterThan(0);
  });

  it('refuses another issuer, another audience, an expired token, and unknown roles or a missing tenant', async () => {
    await expect(verifier.verify(await token(claims, { iss: 'https://evil.example' }))).rejects.toMatchObject({
      status: 401,
    });
    await expect(verifier.verify(await token(claims, { aud: 'other-app' }))).rejects.toMatchObject({ status: 401 });
    await expect(verifier.verify(await token(claims, { exp: '-2m' }))).rejects.toMatchObject(refused);
    await expect(verifier.verify(await token({ tenant: 'bochum', roles: ['superuser'] }))).rejects.toMatchObject({
      status: 401,
    });
    await expect(verifier.verify(await token({ roles: ['admin'] }))).rejects.toMatchObject({ status: 401 });
  });

  it('refuses a validly signed token without exp or without iat', async () => {
    await expect(verifier.verify(await token(claims, { exp: false }))).rejects.toMatchObject(refused);
    await expect(verifier.verify(await token(claims, { iat: false }))).rejects.toMatchObject(refused);
    // The control: the same token with both is good.
    await expect(verifier.verify(await token(claims))).resolves.toMatchObject({ tenantId: 'bochum' });
  });

  it('refuses a token issued over 12 hours ago though unexpired, and one issued a year from now', async () => {
    const old = await token(claims, { iat: now() - 13 * 3600, exp: '1h' });
    await expect(verifier.verify(old)).rejects.toMatchObject(refused);
    const future = await token(claims, { iat: now() + 365 * 86_400, exp: `${366 * 86_400}s` });
    await expect(verifier.verify(future)).rejects.toMatchObject(refused);
    await expect(verifier.verify(await token(claims, { iat: now() - 11 * 3600, exp: '1h' }))).resolves.toBeDefined();
  });

  it('allows a minute of clock skew either way, and no more', async () => {
    await expect(verifier.verify(await token(claims, { exp: '-30s' }))).resolves.toBeDefined();
    await expect(verifier.verify(await token(claims, { iat: now() + 30 }))).resolves.toBeDefined();
    await expect(verifier.verify(await token(claims, { exp: '-90s' }))).rejects.toMatchObject(refused);
    await expect(verifier.verify(await token(claims, { iat: now() + 90 }))).rejects.toMatchObject(refused);
  });

  it('lower-cases the tenant, and refuses one that is no plain name', async () => {
    const bochum = await verifier.verify(await token({ tenant: 'BOCHUM', roles: ['admin'] }));
    expect(bochum.tenantId).toBe('bochum');
    for (const tenant of ['../../etc', 'bo chum', 'bo_chum', 'bochum-', '-bochum', '\u212Aoeln', 'a'.repeat(64), '']) {
      await expect(verifier.verify(await token({ tenant, roles: ['admin'] })), tenant).rejects.toMatchObject(refused);
    }
    await expect(
      verifier.verify(await token({ tenant: `h${'a'.repeat(62)}`, roles: ['admin'] })),
    ).resolves.toBeDefined();
  });
});
