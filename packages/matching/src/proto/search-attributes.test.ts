import { describe, expect, it } from 'vitest';
import { jsonPayload } from './payloads.js';
import { searchAttributeTypeName, searchAttributeTypeNames, searchAttributeValue, searchAttributeValues } from './search-attributes.js';
import { temporalProto } from './temporal-proto.js';

const I = temporalProto.temporal.api.enums.v1.IndexedValueType;
const raw = (s: string) => ({ data: new TextEncoder().encode(s) });

describe('search attribute helpers', () => {
  it('names every IndexedValueType but UNSPECIFIED', () => {
    expect(searchAttributeTypeName(I.INDEXED_VALUE_TYPE_KEYWORD)).toBe('Keyword');
    expect(searchAttributeTypeName(I.INDEXED_VALUE_TYPE_TEXT)).toBe('Text');
    expect(searchAttributeTypeName(I.INDEXED_VALUE_TYPE_INT)).toBe('Int');
    expect(searchAttributeTypeName(I.INDEXED_VALUE_TYPE_DOUBLE)).toBe('Double');
    expect(searchAttributeTypeName(I.INDEXED_VALUE_TYPE_BOOL)).toBe('Bool');
    expect(searchAttributeTypeName(I.INDEXED_VALUE_TYPE_DATETIME)).toBe('Datetime');
    expect(searchAttributeTypeName(I.INDEXED_VALUE_TYPE_KEYWORD_LIST)).toBe('KeywordList');
    expect(searchAttributeTypeName(I.INDEXED_VALUE_TYPE_UNSPECIFIED)).toBeUndefined();
    expect(searchAttributeTypeName(999)).toBeUndefined();
    expect(
      searchAttributeTypeNames({ A: I.INDEXED_VALUE_TYPE_INT, B: I.INDEXED_VALUE_TYPE_UNSPECIFIED, C: I.INDEXED_VALUE_TYPE_KEYWORD_LIST }),
    ).toEqual(new Map([['A', 'Int'], ['C', 'KeywordList']]));
  });

  it('decodes json payloads to visibility values; empty, null, objects, empty lists and non-JSON are null', () => {
    expect(searchAttributeValue(jsonPayload('x'))).toBe('x');
    expect(searchAttributeValue(jsonPayload(3.5))).toBe(3.5);
    expect(searchAttributeValue(jsonPayload(true))).toBe(true);
    expect(searchAttributeValue(jsonPayload(['a', 1]))).toEqual(['a', '1']);
    expect(searchAttributeValue(null)).toBeNull();
    expect(searchAttributeValue({ data: new Uint8Array() })).toBeNull();
    expect(searchAttributeValue(raw('null'))).toBeNull();
    expect(searchAttributeValue(raw('[]'))).toBeNull();
    expect(searchAttributeValue(raw('{"a":1}'))).toBeNull();
    expect(searchAttributeValue(raw('not json'))).toBeNull();
  });

  it('keeps only the attributes that have a value', () => {
    expect(searchAttributeValues(null)).toEqual({});
    expect(
      searchAttributeValues({ indexedFields: { A: jsonPayload('a'), B: raw(''), C: raw('[]'), D: jsonPayload(['x']), E: raw('oops') } }),
    ).toEqual({ A: 'a', D: ['x'] });
  });
});
