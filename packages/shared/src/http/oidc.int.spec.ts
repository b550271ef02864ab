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

  const token = (claims: Record<string, unknown>, options: { iss?: string; aud?: string; exp?: string } = {}) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid: 'key-1' })
      .setSubject('officer-1')
      .setIssuer(options.iss ?? issuer)
      .setAudience(options.aud ?? 'buergerkoffer')
      .setIssuedAt()
      .setExpirationTime(options.exp ?? '5m')
      .sign(privateKey);

  it("accepts the issuer's token and reads subject, tenant and roles from it", async () => {
    const principal = await verifier.verify(await token({ tenant: 'bochum', roles: ['eligibility-officer'] }));
    expect(principal).toEqual({ subject: 'officer-1', tenantId: 'bochum', roles: ['eligibility-officer'] });
    expect(jwksRequests).toBeGreaterThan(0);
  });

  it('refuses another issuer, another audience, an expired token, and unknown roles or a missing tenant', async () => {
    const claims = { tenant: 'bochum', roles: ['admin'] };
    await expect(verifier.verify(await token(claims, { iss: 'https://evil.example' }))).rejects.toMatchObject({
      status: 401,
    });
    await expect(verifier.verify(await token(claims, { aud: 'other-app' }))).rejects.toMatchObject({ status: 401 });
    await expect(verifier.verify(await token(claims, { exp: '-1m' }))).rejects.toMatchObject({ status: 401 });
    await expect(verifier.verify(await token({ tenant: 'bochum', roles: ['superuser'] }))).rejects.toMatchObject({
      status: 401,
    });
    await expect(verifier.verify(await token({ roles: ['admin'] }))).rejects.toMatchObject({ status: 401 });
  });
});
