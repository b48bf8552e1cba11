import type { VisibilityQueryLanguage } from '@chasm/core';

/** Temporal's names of Nexus operation execution statuses (the built-in status column takes them). */
export const EXECUTION_STATUS_NAMES: readonly string[] = ['Running', 'Completed', 'Failed', 'Canceled', 'Terminated', 'TimedOut'];

/** The List/Count query language of standalone Nexus operations (reference C.6). */
export const OPERATION_QUERY_LANGUAGE: VisibilityQueryLanguage = {
  fields: {
    OperationId: { field: 'BusinessId', type: 'Keyword' },
    RunId: { field: 'RunId', type: 'Keyword' },
    Endpoint: { field: 'Endpoint', type: 'Keyword' },
    Service: { field: 'Service', type: 'Keyword' },
    Operation: { field: 'Operation', type: 'Keyword' },
    RequestId: { field: 'RequestId', type: 'Keyword' },
    ExecutionStatus: { field: 'Status', type: 'Keyword', values: EXECUTION_STATUS_NAMES },
    StartTime: { field: 'StartTime', type: 'Datetime' },
    ScheduleTime: { field: 'StartTime', type: 'Datetime' },
    CloseTime: { field: 'CloseTime', type: 'Datetime' },
  },
  groupBy: ['ExecutionStatus'],
  orderBy: false,
  fieldNoun: 'field',
  listFieldsInErrors: true,
};
