import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { decodeInternalCallbackToken, encodeInternalCallbackToken, type InternalCallbackTarget } from '@chasm/core';
import type { Kysely } from 'kysely';

const SECRET_NAME = 'callback-hmac';
/** Domain separation: the key signs nothing else, but a later token version must not verify as this one. */
const CONTEXT = 'nexus-callback-token/v1:';

interface SecretsTable {
  nexus_secrets: { name: string; secret: string; created_at: Date };
}

/**
 * Signs and checks the `temporal-callback-token` of the callback URL this server gives external
 * Nexus handlers (ADR 0014). The token is the internal callback token (which execution, which
 * operation, its request id) followed by `.` and an HMAC-SHA256 of it under a cluster secret, so
 * a handler can hand it back but neither forge one nor retarget it. The secret lives in
 * `nexus_secrets`, written once by the first node that needs it: it survives restarts and is the
 * same on every node.
 */
export class CallbackTokenSigner {
  #key: Promise<Buffer> | undefined;

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  constructor(private readonly db: Kysely<any>) {}

  async sign(target: InternalCallbackTarget): Promise<string> {
    const body = encodeInternalCallbackToken(target);
    return `${body}.${this.#mac(await this.#secret(), body).toString('base64url')}`;
  }

  /** The target a token names, or undefined when it is malformed or its signature is not ours. */
  async verify(token: string): Promise<InternalCallbackTarget | undefined> {
    const dot = token.lastIndexOf('.');
    if (dot <= 0) return undefined;
    const body = token.slice(0, dot);
    const given = Buffer.from(token.slice(dot + 1), 'base64url');
    const expected = this.#mac(await this.#secret(), body);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
    try {
      return decodeInternalCallbackToken(body);
    } catch {
      return undefined;
    }
  }

  #mac(key: Buffer, body: string): Buffer {
    return createHmac('sha256', key).update(CONTEXT).update(body).digest();
  }

  #secret(): Promise<Buffer> {
    this.#key ??= this.#load().catch((e: unknown) => {
      this.#key = undefined;
      throw e;
    });
    return this.#key;
  }

  async #load(): Promise<Buffer> {
    const db = this.db as Kysely<SecretsTable>;
    // Racing nodes both insert; one row wins and both read it back.
    await db
      .insertInto('nexus_secrets')
      .values({ name: SECRET_NAME, secret: randomBytes(32).toString('base64'), created_at: new Date() })
      .onConflict((oc) => oc.column('name').doNothing())
      .execute();
    const row = await db.selectFrom('nexus_secrets').select('secret').where('name', '=', SECRET_NAME).executeTakeFirstOrThrow();
    return Buffer.from(row.secret, 'base64');
  }
}
