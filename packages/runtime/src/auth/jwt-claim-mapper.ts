import { readFile, stat } from 'node:fs/promises';
import { LRUCache } from 'lru-cache';
import { createLocalJWKSet, createRemoteJWKSet, jwtVerify, type JSONWebKeySet, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { Role, UnauthenticatedError, type AuthInfo, type ClaimMapper, type Claims } from './claims.js';

/** Where the verification keys come from, and what the tokens must say. */
export interface JwtClaimMapperOptions {
  /** A JWKS document on disk; re-read when it changes (key rotation without a restart). */
  readonly jwksFile?: string;
  /** A JWKS URL (an identity provider's `jwks_uri`); jose caches it and refetches on an unknown `kid`. */
  readonly jwksUrl?: string;
  readonly issuer?: string;
  readonly audience?: string;
  /** The claim holding permission strings '<namespace>:<role>'; Temporal's default is `permissions`. */
  readonly permissionsClaim: string;
  /** The namespace name whose role is the system role; Temporal's is `temporal-system`. */
  readonly systemNamespace: string;
}

/** Temporal spells roles read/write/worker/admin in permission strings; both spellings are taken. */
const ROLE_NAMES: Readonly<Record<string, Role>> = {
  read: Role.Reader,
  reader: Role.Reader,
  worker: Role.Worker,
  write: Role.Writer,
  writer: Role.Writer,
  admin: Role.Admin,
};
const RANK: Readonly<Record<Role, number>> = { [Role.Reader]: 1, [Role.Worker]: 2, [Role.Writer]: 3, [Role.Admin]: 4 };
/** Only asymmetric algorithms: a shared secret in a JWKS would let anyone who reads it mint tokens. */
const ALGORITHMS = ['RS256', 'ES256'];
/**
 * Verified tokens are remembered this long at most (and never past their `exp`): a verify costs
 * 0.2-0.3 ms of CPU, paid on every call otherwise. It also bounds how long a key removed from the
 * JWKS keeps working for tokens already seen.
 */
const CLAIMS_TTL_MS = 60_000;
const CLAIMS_CACHE_SIZE = 10_000;
/** How often a JWKS file's mtime is looked at, at most. */
const FILE_CHECK_INTERVAL_MS = 1_000;

/**
 * Temporal's default JWT claim mapper: the `authorization` header carries `Bearer <JWT>`,
 * verified with jose (RS256/ES256) against a JWKS, and the `permissions` claim lists
 * '<namespace>:<role>' strings. No header gives empty claims (the authorizer then refuses
 * anything but the open methods); a token that does not verify is UNAUTHENTICATED.
 */
export class JwtClaimMapper implements ClaimMapper {
  private readonly keys: JWTVerifyGetKey;
  private readonly verified = new LRUCache<string, Claims>({ max: CLAIMS_CACHE_SIZE, ttlAutopurge: false });
  /** Loads the key file now, so a missing or malformed one fails start-up rather than every call. */
  readonly ready: () => Promise<void>;

  constructor(private readonly options: JwtClaimMapperOptions) {
    if ((options.jwksFile === undefined) === (options.jwksUrl === undefined)) throw new Error('auth.jwt: give exactly one of jwksFile and jwksUrl');
    if (options.jwksUrl !== undefined) {
      this.keys = createRemoteJWKSet(new URL(options.jwksUrl));
      // A remote JWKS is fetched on first use: an identity provider that is briefly away at
      // start-up should not stop the server.
      this.ready = () => Promise.resolve();
    } else {
      const file = fileKeySet(options.jwksFile ?? '');
      this.keys = file.getKey;
      this.ready = async () => {
        try {
          await file.load();
        } catch (e) {
          throw new Error(`auth.jwt.jwksFile: cannot load ${options.jwksFile ?? ''}: ${(e as Error).message}`, { cause: e });
        }
      };
    }
  }

  async getClaims(info: AuthInfo): Promise<Claims> {
    if (info.authToken === undefined || info.authToken === '') return { namespaces: {} };
    const match = /^Bearer\s+(\S+)$/i.exec(info.authToken.trim());
    const jwt = match?.[1];
    if (jwt === undefined) throw new UnauthenticatedError("the authorization header must be 'Bearer <token>'");
    const cached = this.verified.get(jwt);
    if (cached) return cached;
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(jwt, this.keys, {
        algorithms: ALGORITHMS,
        ...(this.options.issuer !== undefined ? { issuer: this.options.issuer } : {}),
        ...(this.options.audience !== undefined ? { audience: this.options.audience } : {}),
      }));
    } catch (e) {
      // jose's message says what failed (expired, signature, claim); it never quotes the token.
      throw new UnauthenticatedError(`the bearer token is not valid: ${(e as Error).message}`, { cause: e });
    }
    const claims = this.toClaims(payload);
    const ttl = Math.min(CLAIMS_TTL_MS, payload.exp !== undefined ? payload.exp * 1000 - Date.now() : CLAIMS_TTL_MS);
    if (ttl > 0) this.verified.set(jwt, claims, { ttl });
    return claims;
  }

  private toClaims(payload: JWTPayload): Claims {
    const namespaces: Record<string, Role> = {};
    let system: Role | undefined;
    const permissions = payload[this.options.permissionsClaim];
    for (const p of Array.isArray(permissions) ? permissions : []) {
      if (typeof p !== 'string') continue;
      // The role follows the last colon: namespace names cannot contain one, but be exact anyway.
      const at = p.lastIndexOf(':');
      const role = ROLE_NAMES[p.slice(at + 1).toLowerCase()];
      if (at <= 0 || role === undefined) continue;
      const ns = p.slice(0, at);
      if (ns === this.options.systemNamespace) system = stronger(system, role);
      else namespaces[ns] = stronger(namespaces[ns], role);
    }
    return { ...(payload.sub !== undefined ? { subject: payload.sub } : {}), ...(system !== undefined ? { system } : {}), namespaces };
  }
}

function stronger(a: Role | undefined, b: Role): Role {
  return a !== undefined && RANK[a] >= RANK[b] ? a : b;
}

/** A key getter over a JWKS file that picks up a rewritten file (looked at once a second at most). */
function fileKeySet(path: string): { getKey: JWTVerifyGetKey; load: () => Promise<JWTVerifyGetKey> } {
  let current: { mtimeMs: number; getKey: JWTVerifyGetKey } | undefined;
  let checkedAt = 0;
  const load = async (): Promise<JWTVerifyGetKey> => {
    const now = Date.now();
    if (current && now - checkedAt < FILE_CHECK_INTERVAL_MS) return current.getKey;
    checkedAt = now;
    const { mtimeMs } = await stat(path);
    if (current?.mtimeMs !== mtimeMs) {
      const jwks = JSON.parse(await readFile(path, 'utf8')) as JSONWebKeySet;
      current = { mtimeMs, getKey: createLocalJWKSet(jwks) };
    }
    return current.getKey;
  };
  return { getKey: async (header, token) => (await load())(header, token), load };
}
