import { describe, expect, it } from 'vitest';
import { parseActivityQuery } from './activity-query.js';

describe('activity list/count queries', () => {
  it('maps activity fields to visibility fields', () => {
    expect(parseActivityQuery(`ActivityType = 'greet' AND ExecutionStatus = "running"`).filter).toEqual({
      kind: 'and',
      clauses: [
        { kind: 'compare', field: 'ActivityType', op: '=', value: 'greet' },
        { kind: 'compare', field: 'ActivityExecutionStatus', op: '=', value: 'Running' },
      ],
    });
    expect(parseActivityQuery(`StartTime > '2026-01-01T00:00:00Z'`).filter).toEqual({ kind: 'compare', field: 'StartTime', op: '>', value: '2026-01-01T00:00:00Z' });
  });

  it('parses IN, BETWEEN, STARTS_WITH, IS NULL, NOT and parentheses', () => {
    expect(parseActivityQuery(`ActivityId IN ('a', 'b')`).filter).toEqual({ kind: 'in', field: 'ActivityId', values: ['a', 'b'] });
    expect(parseActivityQuery(`TaskQueue STARTS_WITH 'q-'`).filter).toEqual({ kind: 'startsWith', field: 'TaskQueue', prefix: 'q-' });
    expect(parseActivityQuery(`CloseTime IS NOT NULL`).filter).toEqual({ kind: 'isNull', field: 'CloseTime', negate: true });
    expect(parseActivityQuery(`NOT (ActivityId = 'a' OR ActivityId NOT IN ('b'))`).filter).toEqual({
      kind: 'not',
      clause: {
        kind: 'or',
        clauses: [
          { kind: 'compare', field: 'ActivityId', op: '=', value: 'a' },
          { kind: 'not', clause: { kind: 'in', field: 'ActivityId', values: ['b'] } },
        ],
      },
    });
    expect(parseActivityQuery(`StartTime BETWEEN '2026-01-01' AND '2026-02-01'`).filter).toMatchObject({ kind: 'between', field: 'StartTime' });
  });

  it('reads GROUP BY ExecutionStatus for Count', () => {
    expect(parseActivityQuery('GROUP BY ExecutionStatus')).toEqual({ filter: undefined, groupBy: 'ExecutionStatus' });
    expect(parseActivityQuery(`TaskQueue = 'q' GROUP BY ExecutionStatus`).groupBy).toBe('ExecutionStatus');
  });

  it('rejects unknown fields, statuses and syntax with INVALID_ARGUMENT', () => {
    for (const q of [`Nope = 'x'`, `ExecutionStatus = 'Sleeping'`, `ActivityId = 'x' ORDER BY StartTime`, `ActivityId = `, `ActivityId = 'x`, `GROUP BY ActivityType`]) {
      expect(() => parseActivityQuery(q), q).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    }
  });
});
