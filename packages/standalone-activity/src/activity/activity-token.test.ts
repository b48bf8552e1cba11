import { encodeRef } from '@chasm/core';
import { describe, expect, it } from 'vitest';
import { decodeTaskToken, encodeTaskToken, isStandaloneActivityToken } from './activity-token.js';

const ref = { namespaceId: 'ns', businessId: 'a', archetype: 'activity.activity', runId: 'r', path: '', initialTc: 1, executionTc: 3 };

describe('activity task tokens', () => {
  it('round-trip and are told apart from plain refs (the router dispatches on it)', () => {
    const bytes = encodeTaskToken({ ref, attempt: 2, stamp: 5 });
    expect(isStandaloneActivityToken(bytes)).toBe(true);
    expect(decodeTaskToken(bytes)).toEqual({ ref, attempt: 2, stamp: 5 });
    expect(isStandaloneActivityToken(encodeRef(ref))).toBe(false);
    expect(isStandaloneActivityToken(new Uint8Array())).toBe(false);
  });

  it('refuses garbage and refs that do not address an activity root', () => {
    for (const bad of [new TextEncoder().encode('x'), new TextEncoder().encode('["sa1","!",1,1]'), encodeTaskToken({ ref: { ...ref, archetype: 'tests.store' }, attempt: 1, stamp: 1 }), encodeTaskToken({ ref: { ...ref, path: 'x' }, attempt: 1, stamp: 1 })]) {
      expect(() => decodeTaskToken(bad)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    }
  });
});
