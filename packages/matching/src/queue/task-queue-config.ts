import { InvalidArgumentError } from '@chasm/core';
import { validateFairnessKey, validateFairnessWeight } from '../priority.js';

/** Rate limits and weight overrides set through UpdateTaskQueueConfig (persisted per queue). */
export interface RateLimitSetting {
  readonly requestsPerSecond: number;
  readonly reason: string;
  readonly updateIdentity: string;
  readonly updateTime: string;
}

export interface TaskQueueConfig {
  readonly queueRateLimit?: RateLimitSetting;
  readonly fairnessKeysRateLimitDefault?: RateLimitSetting;
  readonly fairnessWeightOverrides: Readonly<Record<string, number>>;
}

export interface RateLimitUpdate {
  /** Undefined removes the limit. */
  readonly requestsPerSecond?: number;
  readonly reason?: string;
}

export interface TaskQueueConfigUpdate {
  readonly identity?: string;
  readonly updateQueueRateLimit?: RateLimitUpdate;
  readonly updateFairnessKeyRateLimitDefault?: RateLimitUpdate;
  readonly setFairnessWeightOverrides?: Readonly<Record<string, number>>;
  readonly unsetFairnessWeightOverrides?: readonly string[];
}

export const EMPTY_CONFIG: TaskQueueConfig = { fairnessWeightOverrides: {} };

const MAX_WEIGHT_OVERRIDES = 1000;
const MAX_REASON_BYTES = 1000;

/** Validates an update (as Temporal's frontend does) and returns the new config. */
export function applyConfigUpdate(config: TaskQueueConfig, update: TaskQueueConfigUpdate, now: Date): TaskQueueConfig {
  const identity = update.identity ?? '';
  const rate = (
    current: RateLimitSetting | undefined,
    u: RateLimitUpdate | undefined,
    field: string,
  ): RateLimitSetting | undefined => {
    if (u === undefined) return current;
    if (u.reason !== undefined && Buffer.byteLength(u.reason, 'utf8') > MAX_REASON_BYTES) {
      throw new InvalidArgumentError(`${field}.reason`, `must be at most ${MAX_REASON_BYTES} bytes`);
    }
    if (u.requestsPerSecond === undefined) return undefined;
    if (!Number.isFinite(u.requestsPerSecond) || u.requestsPerSecond < 0) {
      throw new InvalidArgumentError(`${field}.rate_limit.requests_per_second`, 'must be a number >= 0');
    }
    return {
      requestsPerSecond: u.requestsPerSecond,
      reason: u.reason ?? '',
      updateIdentity: identity,
      updateTime: now.toISOString(),
    };
  };
  const set = update.setFairnessWeightOverrides ?? {};
  const unset = update.unsetFairnessWeightOverrides ?? [];
  for (const [k, w] of Object.entries(set)) {
    validateFairnessKey(k, 'set_fairness_weight_overrides', false);
    validateFairnessWeight(w, `set_fairness_weight_overrides[${k}]`);
  }
  for (const k of unset) {
    validateFairnessKey(k, 'unset_fairness_weight_overrides', false);
    if (Object.hasOwn(set, k)) {
      throw new InvalidArgumentError('unset_fairness_weight_overrides', `key ${k} is both set and unset`);
    }
  }
  const overrides: Record<string, number> = { ...config.fairnessWeightOverrides, ...set };
  for (const k of unset) delete overrides[k];
  if (Object.keys(set).length > MAX_WEIGHT_OVERRIDES || Object.keys(overrides).length > MAX_WEIGHT_OVERRIDES) {
    throw new InvalidArgumentError('set_fairness_weight_overrides', `at most ${MAX_WEIGHT_OVERRIDES} overrides per queue`);
  }
  const queueRateLimit = rate(config.queueRateLimit, update.updateQueueRateLimit, 'update_queue_rate_limit');
  const keyDefault = rate(
    config.fairnessKeysRateLimitDefault,
    update.updateFairnessKeyRateLimitDefault,
    'update_fairness_key_rate_limit_default',
  );
  return {
    ...(queueRateLimit ? { queueRateLimit } : {}),
    ...(keyDefault ? { fairnessKeysRateLimitDefault: keyDefault } : {}),
    fairnessWeightOverrides: overrides,
  };
}
