import { parseVisibilityQuery } from '@chasm/core';
import { describe, expect, it } from 'vitest';
import { ACTIVITY_QUERY_LANGUAGE } from './activity-query.js';

// The grammar is tested in @chasm/core (visibility/query-parser.test.ts); this is the activity wiring.
describe('activity list/count query language', () => {
  it('queries ExecutionStatus through the activity status attribute, by Temporal status name', () => {
    expect(parseVisibilityQuery(`ExecutionStatus = 'paused' AND ScheduleTime > '2026-01-01T00:00:00Z'`, ACTIVITY_QUERY_LANGUAGE).filter).toEqual({
      kind: 'and',
      clauses: [
        { kind: 'compare', field: 'ActivityExecutionStatus', op: '=', value: 'Paused' },
        { kind: 'compare', field: 'StartTime', op: '>', value: '2026-01-01T00:00:00Z' },
      ],
    });
    expect(parseVisibilityQuery('GROUP BY ExecutionStatus', ACTIVITY_QUERY_LANGUAGE).groupBy).toBe('ActivityExecutionStatus');
  });

  it('refuses ORDER BY and fields activities do not have', () => {
    for (const q of [`ActivityId = 'x' ORDER BY StartTime`, `WorkflowId = 'x'`, `ExecutionStatus = 'ContinuedAsNew'`]) {
      expect(() => parseVisibilityQuery(q, ACTIVITY_QUERY_LANGUAGE), q).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    }
  });
});
