import { invalidField } from '../errors.js';

/**
 * ListNexusEndpoints page tokens: the last name of the previous page (keyset paging in name
 * order), as JSON, so an endpoint created or deleted between pages neither repeats nor shifts
 * the rest. Opaque to clients.
 */
export function encodePageToken(afterName: string | undefined): Uint8Array {
  return afterName === undefined ? new Uint8Array() : new Uint8Array(Buffer.from(JSON.stringify({ afterName }), 'utf8'));
}

export function decodePageToken(token: Uint8Array | null | undefined): string | undefined {
  if (!token || token.length === 0) return undefined;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(token).toString('utf8'));
    const afterName = (parsed as { afterName?: unknown } | null)?.afterName;
    if (typeof afterName === 'string') return afterName;
  } catch {
    // fall through: not a token this server wrote
  }
  throw invalidField('next_page_token', 'invalid page token');
}
