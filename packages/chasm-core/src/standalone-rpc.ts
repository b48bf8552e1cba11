/**
 * Pieces every standalone-execution API repeats (standalone activities, standalone Nexus
 * operations): the Describe long-poll token check and Count's GROUP BY ExecutionStatus. They
 * live here, below the features, so each feature's handlers say only what differs.
 */
import type { AnyComponentType } from './component/component-type.js';
import type { Engine } from './engine/engine.js';
import { InvalidArgumentError } from './errors.js';
import type { VisibilityFilter } from './persistence/store.js';
import { decodeRef } from './ref.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Checks a Describe `long_poll_token` against the execution the request names (run id required,
 * a UUID) and returns the transition count the caller last saw; INVALID_ARGUMENT otherwise.
 */
export function longPollSeenTransitions(
  token: Uint8Array,
  expected: { readonly namespaceId: string; readonly businessId: string; readonly runId: string; readonly archetype: string },
): number {
  if (!expected.runId) throw new InvalidArgumentError('run_id', 'run_id is required when long_poll_token is set');
  if (!UUID.test(expected.runId)) throw new InvalidArgumentError('run_id', 'invalid run id');
  let ref;
  try {
    ref = decodeRef(token, 'long_poll_token');
  } catch {
    throw new InvalidArgumentError('long_poll_token', 'invalid long poll token');
  }
  if (ref.namespaceId !== expected.namespaceId || ref.businessId !== expected.businessId || ref.runId !== expected.runId || ref.archetype !== expected.archetype) {
    throw new InvalidArgumentError('long_poll_token', 'long poll token does not match execution');
  }
  return ref.executionTc;
}

/** Count's answer to `GROUP BY ExecutionStatus`: the total and one group per status with executions. */
export async function countGroupedByStatus(
  engine: Engine,
  type: AnyComponentType,
  query: { readonly namespaceId: string; readonly filter?: VisibilityFilter | undefined; readonly field: string; readonly statuses: readonly string[] },
): Promise<{ count: number; groups: { status: string; count: number }[] }> {
  const groups: { status: string; count: number }[] = [];
  let total = 0;
  for (const status of query.statuses) {
    const byStatus: VisibilityFilter = { kind: 'compare', field: query.field, op: '=', value: status };
    const count = await engine.count(type, { namespaceId: query.namespaceId, filter: query.filter ? { kind: 'and', clauses: [query.filter, byStatus] } : byStatus });
    if (count === 0) continue;
    total += count;
    groups.push({ status, count });
  }
  return { count: total, groups };
}
