import { Counter, type Registry } from 'prom-client';

/**
 * Activity task tokens the router decoded, by kind: 'issued' (ours, Temporal's encoding),
 * 'legacy' (ours, the JSON form issued before it), 'ids' (built by a tool from Temporal's ids),
 * 'malformed' (INVALID_ARGUMENT), 'wrong_namespace' (INVALID_ARGUMENT: another or unknown namespace).
 */
export type TokenKind = 'issued' | 'legacy' | 'ids' | 'malformed' | 'wrong_namespace';

export function activityTokenCounter(registry: Registry | undefined): Counter<'kind'> | undefined {
  if (!registry) return undefined;
  const name = 'activity_task_tokens';
  return (
    (registry.getSingleMetric(name) as Counter<'kind'> | undefined) ??
    new Counter({ name, help: 'Activity task tokens presented to RespondActivityTask* and RecordActivityTaskHeartbeat, by kind', labelNames: ['kind'], registers: [registry] })
  );
}
