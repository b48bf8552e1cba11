import { parseVisibilityQuery } from '@chasm/core';
import { describe, expect, it } from 'vitest';
import { workflowQueryLanguage } from './workflow-query.js';

// The grammar is tested in @chasm/core (visibility/query-parser.test.ts); this is the workflow wiring.
describe('workflow list/count query language', () => {
  const language = workflowQueryLanguage(new Map([['CustomKeywordField', 'Keyword']]));

  it('maps the built-in names to the framework columns and the workflow attributes', () => {
    expect(parseVisibilityQuery(`WorkflowId = 'a' AND ExecutionStatus = 'continuedasnew' AND WorkflowType = 't'`, language).filter).toEqual({
      kind: 'and',
      clauses: [
        { kind: 'compare', field: 'BusinessId', op: '=', value: 'a' },
        { kind: 'compare', field: 'Status', op: '=', value: 'ContinuedAsNew' },
        { kind: 'compare', field: 'WorkflowType', op: '=', value: 't' },
      ],
    });
    expect(parseVisibilityQuery(`TaskQueue = 'q' GROUP BY ExecutionStatus`, language).groupBy).toBe('Status');
  });

  it('knows the namespace custom attributes and the system ones, nothing else', () => {
    expect(parseVisibilityQuery(`CustomKeywordField = 'x' AND BuildIds = 'b'`, language).filter).toMatchObject({ kind: 'and' });
    expect(() => parseVisibilityQuery(`CustomIntField = 1`, language)).toThrow(/unknown search attribute 'CustomIntField'/);
    expect(() => parseVisibilityQuery(`ActivityId = 'a'`, language)).toThrow(/unknown search attribute 'ActivityId'/);
  });
});
