import { ChasmError } from '@chasm/core';
import { describe, expect, it } from 'vitest';
import { parseVisibilityQuery } from './query-parser.js';

const custom = new Map([
  ['CustomKeywordField', 'Keyword'],
  ['CustomIntField', 'Int'],
]);
const parse = (q: string) => parseVisibilityQuery(q, custom);

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
    const bad = (q: string, where: RegExp) => {
      try {
        parse(q);
      } catch (e) {
        expect(ChasmError.is(e) && e.code).toBe('INVALID_ARGUMENT');
        expect((e as Error).message).toMatch(where);
        return;
      }
      throw new Error(`accepted: ${q}`);
    };
    bad(`WorkflowId = `, /expected a value at position 14/);
    bad(`WorkflowId = 'a`, /unterminated string at position 14/);
    bad(`Nope = 'a'`, /unknown search attribute 'Nope' at position 1/);
    bad(`WorkflowId 'a'`, /expected an operator at position 12/);
    bad(`(WorkflowId = 'a'`, /expected '\)' at position 18/);
    bad(`WorkflowId = 'a' GROUP BY TaskQueue`, /only GROUP BY ExecutionStatus/);
    bad(`WorkflowId = 'a' junk`, /unexpected token at position 18/);
    bad(`WorkflowId ~ 'a'`, /unexpected character '~' at position 12/);
  });
});
