import { encodeRef } from '@chasm/core';
import { decodeActivityToken } from '@chasm/matching';
import { describe, expect, it } from 'vitest';
import { checkTaskToken, decodeTaskToken, encodeTaskToken } from './activity-token.js';

const ref = { namespaceId: 'ns', businessId: 'a', archetype: 'activity.activity', runId: 'r', path: '', initialTc: 1, executionTc: 3 };

describe('activity task tokens', () => {
  it('round-trip and are told apart from plain refs (the router dispatches on the form)', () => {
    const bytes = encodeTaskToken({ ref, attempt: 2, stamp: 5 });
    expect(decodeActivityToken(bytes).form).toBe('stamped');
    expect(decodeTaskToken(bytes)).toEqual({ ref, attempt: 2, stamp: 5 });
    expect(() => decodeTaskToken(encodeRef(ref))).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => decodeTaskToken(encodeRef({ ...ref, taskId: 'attempt:2' }))).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => decodeTaskToken(new Uint8Array())).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });

  it('refuses garbage and refs that do not address an activity root', () => {
    for (const bad of [new TextEncoder().encode('x'), new TextEncoder().encode('["sa1","!",1,1]'), encodeTaskToken({ ref: { ...ref, archetype: 'tests.store' }, attempt: 1, stamp: 1 }), encodeTaskToken({ ref: { ...ref, path: 'x' }, attempt: 1, stamp: 1 })]) {
      expect(() => decodeTaskToken(bad)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    }
    expect(() => checkTaskToken({ ref: { ...ref, path: 'x' }, attempt: 1, stamp: 1 })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});
