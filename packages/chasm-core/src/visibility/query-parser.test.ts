import { describe, expect, it } from 'vitest';
import { ChasmError } from '../errors.js';
import { parseVisibilityQuery, type VisibilityQueryLanguage } from './query-parser.js';

/**
 * Two languages shaped like the features' (the workflow package's and standalone-activity's own
 * definitions are tested there): the cases below are the two former parsers' tests, run against
 * the one parser.
 */
const WORKFLOW_STATUSES = ['Running', 'Completed', 'Failed', 'Canceled', 'Terminated', 'ContinuedAsNew', 'TimedOut'];
const workflowLike: VisibilityQueryLanguage = {
  fields: {
    WorkflowId: { field: 'BusinessId', type: 'Keyword' },
    RunId: { field: 'RunId', type: 'Keyword' },
    ExecutionStatus: { field: 'Status', type: 'Keyword', values: WORKFLOW_STATUSES },
    StartTime: { field: 'StartTime', type: 'Datetime' },
    CloseTime: { field: 'CloseTime', type: 'Datetime' },
    WorkflowType: { field: 'WorkflowType', type: 'Keyword' },
    TaskQueue: { field: 'TaskQueue', type: 'Keyword' },
    ExecutionTime: { field: 'ExecutionTime', type: 'Datetime' },
    BuildIds: { field: 'BuildIds', type: 'KeywordList' },
  },
  customAttributes: new Map([
    ['CustomKeywordField', 'Keyword'],
    ['CustomIntField', 'Int'],
  ]),
  groupBy: ['ExecutionStatus'],
};
const parse = (q: string) => parseVisibilityQuery(q, workflowLike);

const activityLike: VisibilityQueryLanguage = {
  fields: {
    ActivityId: { field: 'ActivityId', type: 'Keyword' },
    ActivityType: { field: 'ActivityType', type: 'Keyword' },
    TaskQueue: { field: 'TaskQueue', type: 'Keyword' },
    ExecutionStatus: {
      field: 'ActivityExecutionStatus',
      type: 'Keyword',
      values: ['Running', 'Paused', 'Completed', 'Failed', 'Canceled', 'Terminated', 'TimedOut'],
    },
    RunId: { field: 'RunId', type: 'Keyword' },
    StartTime: { field: 'StartTime', type: 'Datetime' },
    ScheduleTime: { field: 'StartTime', type: 'Datetime' },
    ExecutionTime: { field: 'StartTime', type: 'Datetime' },
    CloseTime: { field: 'CloseTime', type: 'Datetime' },
  },
  groupBy: ['ExecutionStatus'],
  orderBy: false,
  fieldNoun: 'field',
  listFieldsInErrors: true,
};
const parseActivity = (q: string | null | undefined) => parseVisibilityQuery(q, activityLike);

/** The INVALID_ARGUMENT message of a refused query. */
function refusal(run: () => unknown): string {
  try {
    run();
  } catch (e) {
    expect(ChasmError.is(e) && e.code).toBe('INVALID_ARGUMENT');
    return (e as Error).message;
  }
  throw new Error('accepted');
}

describe('parseVisibilityQuery', () => {
  it('maps built-in fields to visibility fields', () => {
    expect(parse(`WorkflowId = 'a'`).filter).toEqual({ kind: 'compare', field: 'BusinessId', op: '=', value: 'a' });
    expect(parse(`ExecutionStatus != "Running"`).filter).toEqual({ kind: 'compare', field: 'Status', op: '!=', value: 'Running' });
    expect(parse(`TaskQueue = 'q'`).filter).toEqual({ kind: 'compare', field: 'TaskQueue', op: '=', value: 'q' });
  });

  it('parses every comparison operator, numbers and booleans', () => {
    for (const op of ['=', '!=', '<', '>', '<=', '>='] as const) {
      expect(parse(`CustomIntField ${op} 5`).filter).toEqual({ kind: 'compare', field: 'CustomIntField', op, value: 5 });
    }
    expect(parse('CustomIntField <> -2.5').filter).toEqual({ kind: 'compare', field: 'CustomIntField', op: '!=', value: -2.5 });
    expect(parse('CustomKeywordField = true').filter).toMatchObject({ value: true });
  });

  it('parses IN, NOT IN, BETWEEN, STARTS_WITH and IS NULL', () => {
    expect(parse(`WorkflowId IN ('a', 'b')`).filter).toEqual({ kind: 'in', field: 'BusinessId', values: ['a', 'b'] });
    expect(parse(`WorkflowId NOT IN ('a')`).filter).toEqual({ kind: 'not', clause: { kind: 'in', field: 'BusinessId', values: ['a'] } });
    expect(parse(`StartTime BETWEEN '2026-01-01T00:00:00Z' AND '2026-12-31T00:00:00Z'`).filter).toEqual({
      kind: 'between',
      field: 'StartTime',
      low: '2026-01-01T00:00:00Z',
      high: '2026-12-31T00:00:00Z',
    });
    expect(parse(`WorkflowType STARTS_WITH 'hel'`).filter).toEqual({ kind: 'startsWith', field: 'WorkflowType', prefix: 'hel' });
    expect(parse('CloseTime IS NULL').filter).toEqual({ kind: 'isNull', field: 'CloseTime', negate: false });
    expect(parse('CloseTime IS NOT NULL').filter).toEqual({ kind: 'isNull', field: 'CloseTime', negate: true });
  });

  it('gives AND precedence over OR and honours parentheses', () => {
    expect(parse(`WorkflowId = 'a' OR WorkflowId = 'b' AND TaskQueue = 'q'`).filter).toEqual({
      kind: 'or',
      clauses: [
        { kind: 'compare', field: 'BusinessId', op: '=', value: 'a' },
        {
          kind: 'and',
          clauses: [
            { kind: 'compare', field: 'BusinessId', op: '=', value: 'b' },
            { kind: 'compare', field: 'TaskQueue', op: '=', value: 'q' },
          ],
        },
      ],
    });
    expect(parse(`(WorkflowId = 'a' or WorkflowId = 'b') and TaskQueue = 'q'`).filter).toMatchObject({
      kind: 'and',
      clauses: [{ kind: 'or' }, { kind: 'compare', field: 'TaskQueue' }],
    });
  });

  it('parses ORDER BY and GROUP BY', () => {
    const q = parse(`TaskQueue = 'q' ORDER BY StartTime DESC, WorkflowId`);
    expect(q.orderBy).toEqual([
      { field: 'StartTime', desc: true },
      { field: 'BusinessId', desc: false },
    ]);
    expect(parse(`TaskQueue = 'q' GROUP BY ExecutionStatus`).groupBy).toBe('Status');
    expect(parse('').filter).toBeUndefined();
    expect(parse('order by CloseTime asc').orderBy).toEqual([{ field: 'CloseTime', desc: false }]);
  });

  it('handles quoting: doubled quotes, escapes and backticked names', () => {
    expect(parse(`WorkflowId = 'it''s'`).filter).toMatchObject({ value: "it's" });
    expect(parse(`WorkflowId = 'a\\'b'`).filter).toMatchObject({ value: "a'b" });
    expect(parse('`CustomKeywordField` = "x"').filter).toMatchObject({ field: 'CustomKeywordField', value: 'x' });
  });

  it('rejects malformed queries with INVALID_ARGUMENT saying where', () => {
    const bad = (q: string, where: RegExp) => expect(refusal(() => parse(q)), q).toMatch(where);
    bad(`WorkflowId = `, /expected a value at position 14/);
    bad(`WorkflowId = 'a`, /unterminated string at position 14/);
    bad(`Nope = 'a'`, /unknown search attribute 'Nope' at position 1/);
    bad(`WorkflowId 'a'`, /expected an operator at position 12/);
    bad(`(WorkflowId = 'a'`, /expected '\)' at position 18/);
    bad(`WorkflowId = 'a' GROUP BY TaskQueue`, /only GROUP BY ExecutionStatus/);
    bad(`WorkflowId = 'a' junk`, /unexpected token at position 18/);
    bad(`WorkflowId ~ 'a'`, /unexpected character '~' at position 12/);
  });

  it('checks values against the names a field takes, in any case', () => {
    expect(parse(`ExecutionStatus = 'timedout'`).filter).toMatchObject({ value: 'TimedOut' });
    expect(parse(`ExecutionStatus IN ('running', 'COMPLETED')`).filter).toMatchObject({ values: ['Running', 'Completed'] });
    expect(refusal(() => parse(`ExecutionStatus = 'Sleeping'`))).toMatch(/unknown ExecutionStatus 'Sleeping' at position 19/);
  });

  it('takes STARTS_WITH on text attributes only', () => {
    expect(parse(`BuildIds STARTS_WITH 'v1'`).filter).toEqual({ kind: 'startsWith', field: 'BuildIds', prefix: 'v1' });
    expect(refusal(() => parse(`CustomIntField STARTS_WITH '1'`))).toMatch(/STARTS_WITH needs a text search attribute, 'CustomIntField' is Int/);
    expect(refusal(() => parse(`StartTime STARTS_WITH '2026'`))).toMatch(/STARTS_WITH needs a text/);
  });

  it('does not mistake Object.prototype keys for fields', () => {
    expect(refusal(() => parse(`constructor = 'a'`))).toMatch(/unknown search attribute 'constructor'/);
  });
});

describe('parseVisibilityQuery with an activity-like language', () => {
  it('maps activity fields to visibility fields', () => {
    expect(parseActivity(`ActivityType = 'greet' AND ExecutionStatus = "running"`).filter).toEqual({
      kind: 'and',
      clauses: [
        { kind: 'compare', field: 'ActivityType', op: '=', value: 'greet' },
        { kind: 'compare', field: 'ActivityExecutionStatus', op: '=', value: 'Running' },
      ],
    });
    expect(parseActivity(`StartTime > '2026-01-01T00:00:00Z'`).filter).toEqual({ kind: 'compare', field: 'StartTime', op: '>', value: '2026-01-01T00:00:00Z' });
    expect(parseActivity(null)).toEqual({ filter: undefined, orderBy: [], groupBy: undefined });
  });

  it('parses IN, BETWEEN, STARTS_WITH, IS NULL, NOT and parentheses', () => {
    expect(parseActivity(`ActivityId IN ('a', 'b')`).filter).toEqual({ kind: 'in', field: 'ActivityId', values: ['a', 'b'] });
    expect(parseActivity(`TaskQueue STARTS_WITH 'q-'`).filter).toEqual({ kind: 'startsWith', field: 'TaskQueue', prefix: 'q-' });
    expect(parseActivity(`CloseTime IS NOT NULL`).filter).toEqual({ kind: 'isNull', field: 'CloseTime', negate: true });
    expect(parseActivity(`NOT (ActivityId = 'a' OR ActivityId NOT IN ('b'))`).filter).toEqual({
      kind: 'not',
      clause: {
        kind: 'or',
        clauses: [
          { kind: 'compare', field: 'ActivityId', op: '=', value: 'a' },
          { kind: 'not', clause: { kind: 'in', field: 'ActivityId', values: ['b'] } },
        ],
      },
    });
    expect(parseActivity(`StartTime BETWEEN '2026-01-01' AND '2026-02-01'`).filter).toMatchObject({ kind: 'between', field: 'StartTime' });
  });

  it('reads GROUP BY ExecutionStatus for Count', () => {
    expect(parseActivity('GROUP BY ExecutionStatus')).toEqual({ filter: undefined, orderBy: [], groupBy: 'ActivityExecutionStatus' });
    expect(parseActivity(`TaskQueue = 'q' GROUP BY ExecutionStatus`).groupBy).toBe('ActivityExecutionStatus');
  });

  it('rejects unknown fields, statuses and syntax with INVALID_ARGUMENT', () => {
    for (const q of [`Nope = 'x'`, `ExecutionStatus = 'Sleeping'`, `ActivityId = 'x' ORDER BY StartTime`, `ActivityId = `, `ActivityId = 'x`, `GROUP BY ActivityType`]) {
      refusal(() => parseActivity(q));
    }
    expect(refusal(() => parseActivity(`Nope = 'x'`))).toMatch(/unknown field 'Nope' at position 1 \(supported: ActivityId, ActivityType, /);
    expect(refusal(() => parseActivity(`ActivityId = 'x' ORDER BY StartTime`))).toMatch(/ORDER BY is not supported at position 18/);
  });
});
