import type { temporal } from '../proto.js';
import { upsertSearchAttributes, type SearchAttributeStore } from './search-attributes.js';

/** Temporal's worker_versioning values of the `BuildIds` search attribute. */
export const UNVERSIONED = 'unversioned';
const ASSIGNED_PREFIX = 'assigned:';

/** `VersionStampToBuildIdSearchAttribute`: no build id → 'unversioned'; else 'versioned:<id>' or 'unversioned:<id>'. */
export function buildIdSearchAttributeValue(stamp: temporal.api.common.v1.IWorkerVersionStamp | null | undefined): string {
  const id = stamp?.buildId ?? '';
  if (!id) return UNVERSIONED;
  return `${stamp?.useVersioning ? 'versioned' : 'unversioned'}:${id}`;
}

/**
 * The `BuildIds` values after a workflow task completed with `stamp`, as Temporal's
 * `addBuildIdToLoadedSearchAttribute` computes them: the 'unversioned' sentinel first when the
 * worker does not use versioning, then the earlier build ids (sentinels dropped), then this one if
 * new. (Build-id assignment, 'assigned:<id>', belongs to versioning rules, which we do not have.)
 */
export function nextBuildIds(existing: readonly string[], stamp: temporal.api.common.v1.IWorkerVersionStamp | null | undefined): string[] {
  const out: string[] = stamp?.useVersioning ? [] : [UNVERSIONED];
  const value = buildIdSearchAttributeValue(stamp);
  let found = out.includes(value);
  for (const v of existing) {
    if (v === value) found = true;
    if (v !== UNVERSIONED && !v.startsWith(ASSIGNED_PREFIX)) out.push(v);
  }
  if (!found) out.push(value);
  return out;
}

const enc = new TextEncoder();

/**
 * Maintains `BuildIds` at each workflow task completion, as Temporal does (the SDK 1.24 sends a
 * version stamp only when its worker uses versioning; a build id alone goes to binary_checksum,
 * so such runs carry just 'unversioned', as on Temporal). Returns whether the value changed.
 */
export function recordBuildId(s: SearchAttributeStore, stamp: temporal.api.common.v1.IWorkerVersionStamp | null | undefined): boolean {
  const current = s.searchAttributes['BuildIds'];
  const existing = Array.isArray(current) ? current : typeof current === 'string' ? [current] : [];
  const next = nextBuildIds(existing, stamp);
  if (next.length === existing.length && next.every((v, i) => v === existing[i])) return false;
  upsertSearchAttributes(s, {
    indexedFields: { BuildIds: { metadata: { encoding: enc.encode('json/plain'), type: enc.encode('KeywordList') }, data: enc.encode(JSON.stringify(next)) } },
  });
  return true;
}
