/**
 * Node paths. A path is the escaped segments joined by '/'; the root is ''. Escaping '%' and
 * '/' keeps '/' a pure separator, so with C collation a subtree is the range
 * `path = p OR (path >= p || '/' AND path < p || '0')` ('0' follows '/' in ASCII).
 */
export const SEPARATOR = '/';

export function escapeSegment(segment: string): string {
  return segment.replace(/%/g, '%25').replace(/\//g, '%2F');
}

export function unescapeSegment(segment: string): string {
  return segment.replace(/%2F/g, '/').replace(/%25/g, '%');
}

export function childPath(parent: string, segment: string): string {
  const e = escapeSegment(segment);
  return parent === '' ? e : `${parent}${SEPARATOR}${e}`;
}

/** Splits a path into its parent path and its (unescaped) last segment. */
export function splitPath(path: string): { parent: string; name: string } {
  const i = path.lastIndexOf(SEPARATOR);
  return i < 0
    ? { parent: '', name: unescapeSegment(path) }
    : { parent: path.slice(0, i), name: unescapeSegment(path.slice(i + 1)) };
}

/** Depth of a path: 0 for the root. */
export function pathDepth(path: string): number {
  if (path === '') return 0;
  let n = 1;
  for (let i = 0; i < path.length; i++) if (path.charCodeAt(i) === 47) n++;
  return n;
}
