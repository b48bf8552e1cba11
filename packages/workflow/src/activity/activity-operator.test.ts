import { describe, expect, it } from 'vitest';
import { Activity, type ActivityState } from './activity.js';
import { parseUpdateMask } from './activity-operator.js';

describe('activity operator commands: state and mask', () => {
  it('state persisted before operator commands (schema 1) loads as not paused, no reset pending', () => {
    const v1 = { activityId: 'a', status: 'scheduled', attempt: 3, stamp: 7 };
    const v2 = Activity.migrate!(v1, 1) as ActivityState;
    expect(v2).toMatchObject({ ...v1, paused: false, pauseInfo: null, resetPending: null, resetAttemptsOnRetry: false });
    expect(Activity.schemaVersion).toBe(2);
  });

  it('update mask paths may be snake_case or camelCase; anything else is INVALID_ARGUMENT naming update_mask', () => {
    expect(parseUpdateMask({ paths: ['start_to_close_timeout', 'retryPolicy.maximumAttempts', 'task_queue.name', 'priority.fairness_key'] })).toEqual([
      'startToCloseTimeout',
      'retryPolicy.maximumAttempts',
      'taskQueue.name',
      'priority.fairnessKey',
    ]);
    expect(parseUpdateMask(null)).toEqual([]);
    expect(() => parseUpdateMask({ paths: ['start_delay'] })).toThrow(expect.objectContaining({ field: 'update_mask' }));
    expect(() => parseUpdateMask({ paths: ['input'] })).toThrow(/not an updatable activity option/);
  });
});
