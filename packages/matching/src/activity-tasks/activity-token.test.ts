import { encodeRef } from '@chasm/core';
import { describe, expect, it } from 'vitest';
import { decodeActivityTaskPayload, decodeActivityToken, encodeActivityTaskPayload, encodeActivityToken } from './activity-token.js';

const ref = { namespaceId: 'ns', businessId: 'b', archetype: 'activity.activity', runId: 'r', path: '', initialTc: 1, executionTc: 3 };
const wfRef = { ...ref, archetype: 'workflow.workflow', path: 'activities/5', initialTc: 4 };
const invalid = expect.objectContaining({ code: 'INVALID_ARGUMENT' });

describe('activity task tokens and payloads', () => {
  it('round-trip in both forms, each recognised by its shape', () => {
    expect(decodeActivityToken(encodeActivityToken({ ref, attempt: 2, stamp: 5 }, 'stamped'))).toEqual({ token: { ref, attempt: 2, stamp: 5 }, form: 'stamped' });
    expect(decodeActivityToken(encodeActivityToken({ ref: wfRef, attempt: 3, stamp: 0 }, 'ref'))).toEqual({ token: { ref: wfRef, attempt: 3, stamp: 0 }, form: 'ref' });
    expect(decodeActivityTaskPayload(encodeActivityTaskPayload({ ref, attempt: 1, stamp: 7 }, 'stamped'))).toEqual({ ref, attempt: 1, stamp: 7 });
    expect(decodeActivityTaskPayload(encodeActivityTaskPayload({ ref: { ...wfRef, taskId: 'side-effect-task' }, attempt: 2, stamp: 0 }, 'ref'))).toEqual({
      ref: wfRef,
      attempt: 2,
      stamp: 0,
    });
  });

  it('keeps the wire formats features have always issued', () => {
    // Workflow activities: the ref with the attempt in its task-id slot.
    expect(encodeActivityToken({ ref: wfRef, attempt: 3, stamp: 0 }, 'ref')).toEqual(encodeRef({ ...wfRef, taskId: 'attempt:3' }));
    // Standalone activities: a tagged array, and a versioned object as the matching payload.
    const b64 = Buffer.from(encodeRef(ref)).toString('base64');
    expect(new TextDecoder().decode(encodeActivityToken({ ref, attempt: 2, stamp: 5 }, 'stamped'))).toBe(JSON.stringify(['sa1', b64, 2, 5]));
    expect(JSON.parse(new TextDecoder().decode(encodeActivityTaskPayload({ ref, attempt: 1, stamp: 7 }, 'stamped')))).toEqual({
      v: 1,
      k: 'activity.activity',
      ref: b64,
      stamp: 7,
      attempt: 1,
    });
  });

  it('refuses garbage tokens with INVALID_ARGUMENT on the field', () => {
    for (const bad of [
      new Uint8Array(),
      null,
      new TextEncoder().encode('garbage'),
      new TextEncoder().encode('["sa1","!",1,1]'),
      new TextEncoder().encode('["sa1",1,1,1]'),
      encodeRef(ref), // a bare ref names no attempt
      encodeRef({ ...ref, taskId: 'task-7' }),
    ]) {
      expect(() => decodeActivityToken(bad, 'task_token')).toThrow(invalid);
    }
    // A stamped token's ref carries no task id.
    const withTaskId = new TextEncoder().encode(JSON.stringify(['sa1', Buffer.from(encodeRef({ ...ref, taskId: 'x' })).toString('base64'), 1, 1]));
    expect(() => decodeActivityToken(withTaskId)).toThrow(invalid);
  });

  it('answers undefined for payloads that are neither form (matching drops the task)', () => {
    for (const bad of ['x', '{}', '[1]', JSON.stringify({ v: 2, k: 'activity.activity', ref: 'x', stamp: 1, attempt: 1 })]) {
      expect(decodeActivityTaskPayload(new TextEncoder().encode(bad))).toBeUndefined();
    }
    expect(decodeActivityTaskPayload(encodeRef(wfRef))).toBeUndefined();
    // The tag must name the ref's archetype.
    const b64 = Buffer.from(encodeRef(ref)).toString('base64');
    expect(decodeActivityTaskPayload(new TextEncoder().encode(JSON.stringify({ v: 1, k: 'tests.store', ref: b64, stamp: 1, attempt: 1 })))).toBeUndefined();
  });
});
