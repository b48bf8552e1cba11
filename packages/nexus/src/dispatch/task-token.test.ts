import { ChasmError, ErrorCode } from '@chasm/core';
import { describe, expect, it } from 'vitest';
import { decodeNexusTaskPayload, encodeNexusTaskPayload } from './task-payload.js';
import { decodeNexusTaskToken, encodeNexusTaskToken } from './task-token.js';

const enc = new TextEncoder();
const invalid = (bytes: Uint8Array | undefined): string => {
  try {
    decodeNexusTaskToken(bytes);
  } catch (e) {
    expect(ChasmError.is(e) && e.code).toBe(ErrorCode.InvalidArgument);
    return (e as Error).message;
  }
  throw new Error('expected INVALID_ARGUMENT');
};

describe('Nexus task tokens', () => {
  it('round-trip', () => {
    const t = { namespaceId: 'ns-id', taskQueue: 'q', taskId: '0b7c…' };
    expect(decodeNexusTaskToken(encodeNexusTaskToken(t))).toEqual(t);
  });

  it('refuse anything this server did not write', () => {
    expect(invalid(undefined)).toContain('Task token not set on request.');
    expect(invalid(new Uint8Array())).toContain('Task token not set on request.');
    for (const s of ['garbage', '{}', '[]', '["sa1","a","b","c"]', '["nx1","a","b"]', '["nx1","a","b",3]', '["nx1","","b","c"]']) {
      expect(invalid(enc.encode(s))).toContain('Error deserializing task token.');
    }
    expect(invalid(new Uint8Array([0xff, 0xfe, 0x00]))).toContain('Error deserializing task token.');
  });
});

describe('Nexus task payloads', () => {
  it('carry the dispatch id, and other payloads decode to undefined', () => {
    expect(decodeNexusTaskPayload(encodeNexusTaskPayload('id-1'))).toBe('id-1');
    expect(decodeNexusTaskPayload(enc.encode('nope'))).toBeUndefined();
    expect(decodeNexusTaskPayload(enc.encode('{"v":2,"id":"x"}'))).toBeUndefined();
  });
});
