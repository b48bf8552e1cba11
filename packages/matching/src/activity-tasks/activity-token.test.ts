import { encodeRef } from '@chasm/core';
import { describe, expect, it } from 'vitest';
import { decodeActivityTaskPayload, decodeActivityToken, decodeAnyActivityToken, encodeActivityTaskPayload, encodeActivityToken } from './activity-token.js';
import { decodeTemporalTaskToken, encodeTemporalTaskToken } from './temporal-task-token.js';

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

  it('encodes tokens as Temporal does (token.v1.Task), the form bytes in component_ref', () => {
    const ids = { workflowId: 'wf', runId: 'r', scheduledEventId: 5, activityId: '5', workflowType: 'W', activityType: 'greet' };
    const t = decodeTemporalTaskToken(encodeActivityToken({ ref: wfRef, attempt: 3, stamp: 0, ids }, 'ref'));
    expect(t).toMatchObject({ namespaceId: 'ns', ...ids, attempt: 3, startedEventId: 0, version: 0 });
    expect(Buffer.from(t?.componentRef ?? [])).toEqual(Buffer.from(encodeRef({ ...wfRef, taskId: 'attempt:3' })));
    const b64 = Buffer.from(encodeRef(ref)).toString('base64');
    const sa = decodeTemporalTaskToken(encodeActivityToken({ ref, attempt: 2, stamp: 5 }, 'stamped'));
    expect(sa).toMatchObject({ namespaceId: 'ns', workflowId: '', activityId: 'b', runId: 'r', attempt: 2 });
    expect(new TextDecoder().decode(sa?.componentRef)).toBe(JSON.stringify(['sa1', b64, 2, 5]));
    // Decoding trusts only component_ref (the ids are for tools), and the namespaces must agree.
    expect(decodeActivityToken(encodeActivityToken({ ref: wfRef, attempt: 3, stamp: 0, ids: { ...ids, workflowId: 'other' } }, 'ref'))).toEqual({ token: { ref: wfRef, attempt: 3, stamp: 0 }, form: 'ref' });
    const forged = encodeTemporalTaskToken({ namespaceId: 'other-ns', workflowId: 'wf', componentRef: encodeRef({ ...wfRef, taskId: 'attempt:3' }) });
    expect(() => decodeActivityToken(forged)).toThrow(invalid);
    // A token built from the ids alone is resolved by the router, not a token of ours.
    const built = encodeTemporalTaskToken({ namespaceId: 'ns', workflowId: 'wf', scheduledEventId: 5, attempt: 1 });
    expect(decodeAnyActivityToken(built)).toMatchObject({ kind: 'ids', task: { namespaceId: 'ns', workflowId: 'wf', scheduledEventId: 5, attempt: 1 } });
    expect(() => decodeActivityToken(built)).toThrow(invalid);
    // Large int64 values survive.
    expect(decodeTemporalTaskToken(encodeTemporalTaskToken({ namespaceId: 'ns', workflowId: 'w', scheduledEventId: 2 ** 40 }))?.scheduledEventId).toBe(2 ** 40);
  });

  it('still reads the JSON tokens issued before the Temporal encoding', () => {
    expect(decodeActivityToken(encodeRef({ ...wfRef, taskId: 'attempt:3' }))).toEqual({ token: { ref: wfRef, attempt: 3, stamp: 0 }, form: 'ref' });
    const b64 = Buffer.from(encodeRef(ref)).toString('base64');
    expect(decodeActivityToken(new TextEncoder().encode(JSON.stringify(['sa1', b64, 2, 5])))).toEqual({ token: { ref, attempt: 2, stamp: 5 }, form: 'stamped' });
  });

  it('keeps the matching payloads features have always issued', () => {
    // Standalone activities: a versioned object as the matching payload.
    const b64 = Buffer.from(encodeRef(ref)).toString('base64');
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
      new Uint8Array([0xff, 0xff, 0xff]),
      encodeTemporalTaskToken({ namespaceId: 'ns' }), // names no activity
      encodeTemporalTaskToken({ namespaceId: '', workflowId: 'wf' }), // names no namespace
      encodeTemporalTaskToken({ namespaceId: 'ns', workflowId: 'wf', componentRef: new TextEncoder().encode('garbage') }),
      new Uint8Array([0x0a, 0x05, 0x61]), // truncated string
      new Uint8Array([0x0a, 0x02, 0x6e, 0x73, 0x12, 0x80]), // namespace, then a truncated length
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
