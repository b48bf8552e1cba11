import type { temporal } from '../proto.js';

type NexusLink = temporal.api.nexus.v1.ILink;

/**
 * `Nexus-Link` header values (encoded like the HTTP `Link` header: `<url>; type="..."`, several
 * joined by commas) as Nexus links. Undefined when a value is not well formed (BAD_REQUEST).
 */
export function parseLinks(value: string | undefined): NexusLink[] | undefined {
  if (value === undefined || value.trim() === '') return [];
  const links: NexusLink[] = [];
  const re = /\s*<([^>]*)>((?:\s*;\s*[^;,=]+=\s*(?:"[^"]*"|[^;,]*))*)\s*(?:,|$)/y;
  let at = 0;
  while (at < value.length) {
    re.lastIndex = at;
    const m = re.exec(value);
    if (!m || m[0].length === 0) return undefined;
    at = re.lastIndex;
    const url = m[1] ?? '';
    let type: string | undefined;
    for (const p of (m[2] ?? '').split(';')) {
      const eq = p.indexOf('=');
      if (eq > 0 && p.slice(0, eq).trim() === 'type') type = p.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1');
    }
    if (!url || type === undefined) return undefined;
    try {
      new URL(url);
    } catch {
      return undefined;
    }
    links.push({ url, type });
  }
  return links;
}

/** Nexus links as one `Nexus-Link` header value; undefined for none. */
export function formatLinks(links: readonly NexusLink[] | null | undefined): string | undefined {
  const parts = (links ?? []).filter((l) => l.url).map((l) => `<${l.url}>; type="${l.type ?? ''}"`);
  return parts.length > 0 ? parts.join(', ') : undefined;
}
