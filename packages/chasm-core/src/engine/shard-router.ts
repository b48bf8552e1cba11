/** FNV-1a over namespace and business id: stable across processes and versions (it is persisted implicitly). */
export function shardFor(namespaceId: string, businessId: string, shardCount: number): number {
  let h = 0x811c9dc5;
  const s = `${namespaceId}\u0000${businessId}`;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % shardCount;
}
