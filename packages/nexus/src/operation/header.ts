import type { NexusConfig } from '../config.js';

/** Header keys a caller may not set (Temporal's disallowed operation headers). */
const DISALLOWED_HEADERS = new Set(['request-timeout', 'xdc-redirection', 'xdc-redirection-api']);

/** A caller's Nexus header: keys lower-cased, none disallowed, total size within `maxHeaderBytes`. */
export function checkNexusHeader(
  raw: Readonly<Record<string, string>> | null | undefined,
  config: NexusConfig,
  refuse: (message: string) => Error,
): Record<string, string> {
  const header: Record<string, string> = {};
  let bytes = 0;
  for (const [k, v] of Object.entries(raw ?? {})) {
    const key = k.toLowerCase();
    if (DISALLOWED_HEADERS.has(key)) throw refuse(`NexusHeader contains a disallowed header key: ${k}`);
    header[key] = v;
    bytes += Buffer.byteLength(key) + Buffer.byteLength(v);
  }
  if (bytes > config.maxHeaderBytes) throw refuse('NexusHeader exceeds size limit.');
  return header;
}
