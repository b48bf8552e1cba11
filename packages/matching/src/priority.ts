import { InvalidArgumentError } from '@chasm/core';
import type { TaskPriority } from './types.js';

export const PRIORITY_LEVELS = 5;
export const DEFAULT_PRIORITY = 3;
export const MAX_FAIRNESS_KEY_BYTES = 64;
export const MIN_FAIRNESS_WEIGHT = 0.001;
export const MAX_FAIRNESS_WEIGHT = 1000;

export interface EffectivePriority {
  readonly priorityKey: number;
  readonly fairnessKey: string;
  /** The task's own weight (1 when unset); queue overrides are applied at dispatch time. */
  readonly fairnessWeight: number;
}

/** Applies defaults and rejects out-of-range values, as Temporal's `priorities.Validate` does. */
export function effectivePriority(p: TaskPriority | undefined, field = 'priority'): EffectivePriority {
  const key = p?.priorityKey ?? 0;
  if (!Number.isInteger(key) || key < 0) {
    throw new InvalidArgumentError(`${field}.priority_key`, `must be a non-negative integer, got ${key}`);
  }
  const fairnessKey = p?.fairnessKey ?? '';
  validateFairnessKey(fairnessKey, `${field}.fairness_key`, true);
  const w = p?.fairnessWeight ?? 0;
  if (w !== 0) validateFairnessWeight(w, `${field}.fairness_weight`);
  return {
    // Values above the level count clip rather than fail: the level count is server config.
    priorityKey: key === 0 ? DEFAULT_PRIORITY : Math.min(key, PRIORITY_LEVELS),
    fairnessKey,
    fairnessWeight: w === 0 ? 1 : w,
  };
}

export function validateFairnessKey(key: string, field: string, allowEmpty: boolean): void {
  if (!allowEmpty && key.length === 0) throw new InvalidArgumentError(field, 'must not be empty');
  if (Buffer.byteLength(key, 'utf8') > MAX_FAIRNESS_KEY_BYTES) {
    throw new InvalidArgumentError(field, `must be at most ${MAX_FAIRNESS_KEY_BYTES} bytes`);
  }
}

export function validateFairnessWeight(w: number, field: string): void {
  if (!Number.isFinite(w) || w < MIN_FAIRNESS_WEIGHT || w > MAX_FAIRNESS_WEIGHT) {
    throw new InvalidArgumentError(field, `must be within [${MIN_FAIRNESS_WEIGHT}, ${MAX_FAIRNESS_WEIGHT}], got ${w}`);
  }
}
