import { describe, expect, it } from 'vitest';
import { compileTemplate, UnsupportedTemplateError } from './path-template.js';

describe('compileTemplate', () => {
  it('turns variables into positional router parameters that keep their field paths', () => {
    expect(compileTemplate('/api/v1/namespaces/{namespace}/workflows/{execution.workflow_id}/query/{query.query_type}')).toEqual({
      routerPath: '/api/v1/namespaces/:v0/workflows/:v1/query/:v2',
      variables: [
        { param: 'v0', fieldPath: ['namespace'] },
        { param: 'v1', fieldPath: ['execution', 'workflow_id'] },
        { param: 'v2', fieldPath: ['query', 'query_type'] },
      ],
    });
  });

  it('reads {x=*}, a trailing {x=**} and a verb', () => {
    expect(compileTemplate('/v1/{name=*}/files/{path=**}')).toEqual({
      routerPath: '/v1/:v0/files/*',
      variables: [
        { param: 'v0', fieldPath: ['name'] },
        { param: '*', fieldPath: ['path'] },
      ],
    });
    expect(compileTemplate('/v1/things/{id}:run').routerPath).toBe('/v1/things/:v0::run');
  });

  it('refuses what the router cannot express, naming the template', () => {
    expect(() => compileTemplate('/v1/{name=projects/*}')).toThrow(UnsupportedTemplateError);
    expect(() => compileTemplate('/v1/{a=**}/x')).toThrow(/not supported/);
    expect(() => compileTemplate('/v1//x')).toThrow(/empty segment/);
    expect(() => compileTemplate('v1/x')).toThrow(/start with/);
    expect(() => compileTemplate('/v1/{a')).toThrow(/unbalanced/);
  });
});
