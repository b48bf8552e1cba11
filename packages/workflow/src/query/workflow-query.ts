import type { SearchAttributeTypeName, VisibilityQueryLanguage } from '@chasm/core';

/** System search attributes workers may upsert without registering them. */
export const SYSTEM_SEARCH_ATTRIBUTES: Readonly<Record<string, SearchAttributeTypeName>> = {
  TemporalChangeVersion: 'KeywordList',
  BuildIds: 'KeywordList',
  BinaryChecksums: 'KeywordList',
  // Set by the scheduler on the workflows it starts (reference A.7).
  TemporalScheduledStartTime: 'Datetime',
  TemporalScheduledById: 'Keyword',
};

/** Temporal's names of workflow execution statuses (the built-in status column accepts them). */
const STATUS_NAMES = ['Running', 'Paused', 'Completed', 'Failed', 'Canceled', 'Terminated', 'ContinuedAsNew', 'TimedOut'];

/** Built-in query names: the framework's columns and the attributes the workflow root exposes. */
const FIELDS: VisibilityQueryLanguage['fields'] = {
  WorkflowId: { field: 'BusinessId', type: 'Keyword' },
  RunId: { field: 'RunId', type: 'Keyword' },
  ExecutionStatus: { field: 'Status', type: 'Keyword', values: STATUS_NAMES },
  StartTime: { field: 'StartTime', type: 'Datetime' },
  CloseTime: { field: 'CloseTime', type: 'Datetime' },
  WorkflowType: { field: 'WorkflowType', type: 'Keyword' },
  TaskQueue: { field: 'TaskQueue', type: 'Keyword' },
  ExecutionTime: { field: 'ExecutionTime', type: 'Datetime' },
  ...Object.fromEntries(Object.entries(SYSTEM_SEARCH_ATTRIBUTES).map(([name, type]) => [name, { field: name, type }])),
};

/** The List/Count query language of workflows, with a namespace's custom search attributes (name → type). */
export function workflowQueryLanguage(customAttributes: ReadonlyMap<string, SearchAttributeTypeName>): VisibilityQueryLanguage {
  return { fields: FIELDS, customAttributes, groupBy: ['ExecutionStatus'] };
}
