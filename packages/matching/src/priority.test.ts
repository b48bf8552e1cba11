import { InvalidArgumentError } from '@chasm/core';
import { describe, expect, it } from 'vitest';
import { effectivePriority } from './priority.js';
import { applyConfigUpdate, EMPTY_CONFIG } from './queue/task-queue-config.js';

describe('effectivePriority', () => {
  it('applies defaults and clips', () => {
    expect(effectivePriority(undefined)).toEqual({ priorityKey: 3, fairnessKey: '', fairnessWeight: 1 });
    expect(effectivePriority({ priorityKey: 0, fairnessWeight: 0 })).toEqual({ priorityKey: 3, fairnessKey: '', fairnessWeight: 1 });
    expect(effectivePriority({ priorityKey: 60 }).priorityKey).toBe(5);
  });
  it('rejects out-of-range values naming the field', () => {
    expect(() => effectivePriority({ priorityKey: -1 })).toThrow(InvalidArgumentError);
    expect(() => effectivePriority({ fairnessKey: 'é'.repeat(33) })).toThrow(/fairness_key/);
    expect(() => effectivePriority({ fairnessWeight: 1001 })).toThrow(/fairness_weight/);
    expect(effectivePriority({ fairnessKey: 'x'.repeat(64), fairnessWeight: 0.001 }).fairnessWeight).toBe(0.001);
  });
});

describe('applyConfigUpdate', () => {
  const now = new Date('2026-11-25T00:00:00Z');
  it('sets and removes limits and overrides', () => {
    const c1 = applyConfigUpdate(EMPTY_CONFIG, { updateQueueRateLimit: { requestsPerSecond: 5, reason: 'r' }, setFairnessWeightOverrides: { a: 2 } }, now);
    expect(c1.queueRateLimit?.requestsPerSecond).toBe(5);
    const c2 = applyConfigUpdate(c1, { updateQueueRateLimit: {}, unsetFairnessWeightOverrides: ['a'] }, now);
    expect(c2.queueRateLimit).toBeUndefined();
    expect(c2.fairnessWeightOverrides).toEqual({});
  });
  it('validates', () => {
    expect(() => applyConfigUpdate(EMPTY_CONFIG, { updateQueueRateLimit: { requestsPerSecond: -1 } }, now)).toThrow(InvalidArgumentError);
    expect(() => applyConfigUpdate(EMPTY_CONFIG, { setFairnessWeightOverrides: { '': 1 } }, now)).toThrow(InvalidArgumentError);
    expect(() => applyConfigUpdate(EMPTY_CONFIG, { setFairnessWeightOverrides: { a: 1 }, unsetFairnessWeightOverrides: ['a'] }, now)).toThrow(
      InvalidArgumentError,
    );
  });
});
