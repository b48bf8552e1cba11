import { effectivePriority, type TaskPriority } from '@chasm/matching';
import type { temporal } from '../proto.js';

type ProtoPriority = temporal.api.common.v1.IPriority | null | undefined;

/** The fields of a proto Priority that are set, or undefined when none is (the default priority). */
export function taskPriority(p: ProtoPriority): TaskPriority | undefined {
  const priorityKey = p?.priorityKey ?? 0;
  const fairnessKey = p?.fairnessKey ?? '';
  const fairnessWeight = p?.fairnessWeight ?? 0;
  if (priorityKey === 0 && fairnessKey === '' && fairnessWeight === 0) return undefined;
  return {
    ...(priorityKey !== 0 ? { priorityKey } : {}),
    ...(fairnessKey !== '' ? { fairnessKey } : {}),
    ...(fairnessWeight !== 0 ? { fairnessWeight } : {}),
  };
}

/**
 * Rejects what matching would refuse at dispatch (a negative key, a fairness key over 64 bytes,
 * a weight outside [0.001, 1000]) at the door, as Temporal's `priorities.Validate` does: a task
 * whose priority matching refuses would otherwise be retried forever and never run.
 */
export function checkPriority(p: ProtoPriority, field: string): void {
  const t = taskPriority(p);
  if (t) effectivePriority(t, field);
}

/**
 * An activity's priority as Temporal hands it to matching: the workflow's, with each field the
 * activity sets taking its place (`priorities.Merge`).
 */
export function mergePriority(base: TaskPriority | undefined, override: TaskPriority | undefined): TaskPriority | undefined {
  if (!base) return override;
  if (!override) return base;
  return { ...base, ...override };
}
