import { describe, expect, it } from 'vitest';
import { decodeFailure, decodePayloads, encodeFailure, encodePayloads, jsonPayload, jsonPayloads } from './payloads.js';

const text = (b: Uint8Array | null | undefined): string => new TextDecoder().decode(b ?? new Uint8Array());

describe('payload helpers', () => {
  it('writes json/plain payloads as the SDK does, with search-attribute type metadata on request', () => {
    const p = jsonPayload('Running', 'Keyword');
    expect(text(p.metadata?.['encoding'])).toBe('json/plain');
    expect(text(p.metadata?.['type'])).toBe('Keyword');
    expect(text(p.data)).toBe('"Running"');
    expect(jsonPayload(['a', 'b']).metadata?.['type']).toBeUndefined();
    expect(jsonPayloads('why').payloads?.map((x) => text(x.data))).toEqual(['"why"']);
  });

  it('keeps Payloads and Failures as bytes; no payload is no bytes', () => {
    expect(encodePayloads(null)).toBeNull();
    expect(encodePayloads({ payloads: [] })).toBeNull();
    const bytes = encodePayloads(jsonPayloads(1, 2));
    expect(decodePayloads(bytes)?.payloads.map((x) => text(x.data))).toEqual(['1', '2']);
    expect(decodeFailure(encodeFailure({ message: 'boom', applicationFailureInfo: { type: 'X' } }))?.applicationFailureInfo?.type).toBe('X');
    expect(decodeFailure(null)).toBeNull();
  });
});
