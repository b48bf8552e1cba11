import type { VisibilityQueryLanguage } from '@chasm/core';
import { ACTIVITY_SEARCH_ATTRIBUTE_TYPES as SA } from '../activity/activity.js';

/** Temporal's names of activity execution statuses, as the `ActivityExecutionStatus` attribute holds them. */
export const EXECUTION_STATUS_NAMES: readonly string[] = ['Running', 'Paused', 'Completed', 'Failed', 'Canceled', 'Terminated', 'TimedOut'];

/** The search attribute behind the query field `ExecutionStatus`. */
export const EXECUTION_STATUS_ATTRIBUTE = 'ActivityExecutionStatus';

/**
 * The List/Count query language of activities (parsed by `parseVisibilityQuery` in @chasm/core):
 * the activity fields, `GROUP BY ExecutionStatus` for Count, no ORDER BY.
 */
export const ACTIVITY_QUERY_LANGUAGE: VisibilityQueryLanguage = {
  fields: {
    ActivityId: { field: 'ActivityId', type: SA.ActivityId },
    ActivityType: { field: 'ActivityType', type: SA.ActivityType },
    TaskQueue: { field: 'TaskQueue', type: SA.TaskQueue },
    // Our search attribute, not the built-in status column: only it knows 'Paused'.
    ExecutionStatus: { field: EXECUTION_STATUS_ATTRIBUTE, type: SA.ActivityExecutionStatus, values: EXECUTION_STATUS_NAMES },
    RunId: { field: 'RunId', type: 'Keyword' },
    StartTime: { field: 'StartTime', type: 'Datetime' },
    ScheduleTime: { field: 'StartTime', type: 'Datetime' },
    // The start delay is not reflected: execution time is approximated by the schedule time.
    ExecutionTime: { field: 'StartTime', type: 'Datetime' },
    CloseTime: { field: 'CloseTime', type: 'Datetime' },
  },
  groupBy: ['ExecutionStatus'],
  orderBy: false,
  fieldNoun: 'field',
  listFieldsInErrors: true,
};
