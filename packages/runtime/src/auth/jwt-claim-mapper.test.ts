import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Role, UnauthenticatedError } from './claims.js';
import { JwtClaimMapper } from './jwt-claim-mapper.js';

/** Real keys and real signed tokens: an RS256 and an ES256 key in a JWKS file. */
describe('JwtClaimMapper', () => {
  let dir: string;
  let jwksFile: string;
  let rsa: CryptoKey;
  let ec: CryptoKey;
  let stranger: CryptoKey;
  let publicJwks: JWK[];
  let mapper: JwtClaimMapper;

  const sign = (key: CryptoKey, alg: 'RS256' | 'ES256', kid: string, claims: Record<string, unknown>, exp = '5m') =>
    new SignJWT(claims).setProtectedHeader({ alg, kid }).setSubject('alice').setIssuedAt().setExpirationTime(exp).sign(key);
  const bearer = (token: string) => ({ authToken: `Bearer ${token}` });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'jwt-mapper-'));
    jwksFile = join(dir, 'jwks.json');
    const r = await generateKeyPair('RS256');
    const e = await generateKeyPair('ES256');
    rsa = r.privateKey;
    ec = e.privateKey;
    stranger = (await generateKeyPair('RS256')).privateKey;
    publicJwks = [
      { ...(await exportJWK(r.publicKey)), kid: 'rsa-1', alg: 'RS256', use: 'sig' },
      { ...(await exportJWK(e.publicKey)), kid: 'ec-1', alg: 'ES256', use: 'sig' },
    ];
    writeFileSync(jwksFile, JSON.stringify({ keys: publicJwks }));
    mapper = new JwtClaimMapper({ jwksFile, permissionsClaim: 'permissions', systemNamespace: 'temporal-system' });
    await mapper.ready();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('maps permission strings to roles, keeping the strongest per namespace (RS256 and ES256)', async () => {
    const claims = await mapper.getClaims(bearer(await sign(rsa, 'RS256', 'rsa-1', { permissions: ['default:read', 'default:write', 'orders:worker', 'bogus', 'x:owner'] })));
    expect(claims).toEqual({ subject: 'alice', namespaces: { default: Role.Writer, orders: Role.Worker } });
    const admin = await mapper.getClaims(bearer(await sign(ec, 'ES256', 'ec-1', { permissions: ['temporal-system:admin'] })));
    expect(admin).toEqual({ subject: 'alice', system: Role.Admin, namespaces: {} });
  });

  it('gives empty claims to a caller with no token', async () => {
    expect(await mapper.getClaims({ authToken: undefined })).toEqual({ namespaces: {} });
  });

  it('refuses a token signed by an unknown key, an expired token and a header that is not a bearer token', async () => {
    await expect(mapper.getClaims(bearer(await sign(stranger, 'RS256', 'rsa-1', { permissions: ['default:admin'] })))).rejects.toThrow(UnauthenticatedError);
    await expect(mapper.getClaims(bearer(await sign(rsa, 'RS256', 'rsa-1', { permissions: [] }, '-1m')))).rejects.toThrow(/not valid.*exp/);
    await expect(mapper.getClaims({ authToken: 'Basic abc' })).rejects.toThrow(/Bearer/);
  });

  it('refuses an HS256 token even when its secret is a key in the set', async () => {
    const secret = new TextEncoder().encode('0123456789abcdef0123456789abcdef');
    const hs = await new SignJWT({ permissions: ['temporal-system:admin'] }).setProtectedHeader({ alg: 'HS256', kid: 'rsa-1' }).sign(secret);
    await expect(mapper.getClaims(bearer(hs))).rejects.toThrow(UnauthenticatedError);
  });

  it('picks up a rewritten JWKS file (key rotation) without a restart', async () => {
    const next = await generateKeyPair('ES256');
    const token = await sign(next.privateKey, 'ES256', 'ec-2', { permissions: ['default:read'] });
    await expect(mapper.getClaims(bearer(token))).rejects.toThrow(UnauthenticatedError);
    writeFileSync(jwksFile, JSON.stringify({ keys: [...publicJwks, { ...(await exportJWK(next.publicKey)), kid: 'ec-2', alg: 'ES256' }] }));
    const deadline = Date.now() + 10_000;
    for (;;) {
      const claims = await mapper.getClaims(bearer(token)).catch(() => undefined);
      if (claims) {
        expect(claims.namespaces).toEqual({ default: Role.Reader });
        break;
      }
      if (Date.now() > deadline) throw new Error('the rewritten JWKS file was not picked up within 10s');
      await new Promise((r) => setTimeout(r, 100));
    }
  });

  it('stops accepting a verified (and remembered) token once it expires', async () => {
    const exp = Math.floor(Date.now() / 1000) + 2;
    const token = await new SignJWT({ permissions: ['default:write'] }).setProtectedHeader({ alg: 'RS256', kid: 'rsa-1' }).setExpirationTime(exp).sign(rsa);
    expect((await mapper.getClaims(bearer(token))).namespaces).toEqual({ default: Role.Writer });
    // Remembered: the second call answers the same without verifying again.
    expect((await mapper.getClaims(bearer(token))).namespaces).toEqual({ default: Role.Writer });
    const deadline = Date.now() + 10_000;
    for (;;) {
      const refused = await mapper.getClaims(bearer(token)).then(
        () => false,
        (e: unknown) => e instanceof UnauthenticatedError,
      );
      if (refused) break;
      expect(Date.now(), 'accepted more than 1s past exp').toBeLessThan(exp * 1000 + 1_000);
      if (Date.now() > deadline) throw new Error('the token was never refused');
      await new Promise((r) => setTimeout(r, 100));
    }
  });

  it('fails ready() for a missing JWKS file, naming the setting', async () => {
    const missing = new JwtClaimMapper({ jwksFile: join(dir, 'nope.json'), permissionsClaim: 'permissions', systemNamespace: 'temporal-system' });
    await expect(missing.ready()).rejects.toThrow(/auth.jwt.jwksFile: cannot load/);
  });
});
