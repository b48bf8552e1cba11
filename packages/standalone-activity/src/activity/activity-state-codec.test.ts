import { jsonCodec } from '@chasm/core';
import { describe, expect, it } from 'vitest';
import type { ActivityState } from './activity.js';
import { normalizeOptions } from './activity-options.js';
import { newActivityState } from './activity-ops.js';
import { ACTIVITY_STATE_FIELDS, activityStateCodec } from './activity-state-codec.js';

const fresh = (): ActivityState =>
  newActivityState({
    activityId: 'a-1',
    activityType: 'work',
    options: normalizeOptions({ taskQueue: { name: 'q' }, startToCloseTimeout: { seconds: 60 } as never }, { activityId: 'a-1', activityType: 'work' }, 1000),
    identity: 'client@host',
    now: 1_796_000_000_000,
  });

/** Every field away from its initial value, bytes included. */
function busy(): ActivityState {
  const s = fresh();
  return {
    ...s,
    status: 'completed',
    originalOptions: { ...s.options, startToCloseMs: 5_000 },
    startedTime: 1,
    firstStartedTime: 2,
    lastAttemptCompleteTime: 3,
    retryIntervalMs: 4,
    lastHeartbeatTime: 5,
    heartbeatCount: 6,
    heartbeatDetails: new Uint8Array([1, 2, 3]),
    lastFailure: new Uint8Array([4, 5]),
    lastWorkerIdentity: 'w',
    sdkName: 'sdk',
    sdkVersion: '1',
    cancel: { requestId: 'c', reason: 'r', identity: 'i', time: 7 },
    terminateRequestId: 't',
    lastPauseRequestId: 'p',
    lastUnpauseRequestId: 'u',
    lastResetRequestId: 'r',
    lastUpdateRequestId: 'o',
    pendingReset: { keepPaused: true, resetHeartbeat: false, restoreOriginal: true },
    closeTime: 8,
    outcome: { result: new Uint8Array([9]), failure: null, retryState: 'IN_PROGRESS' },
  };
}

describe('activity root codec', () => {
  it('names every field of the state, in the order it encodes them', () => {
    expect([...ACTIVITY_STATE_FIELDS].sort()).toEqual(Object.keys(fresh()).sort());
  });

  it('round-trips a new and a busy activity', () => {
    for (const s of [fresh(), busy()]) expect(activityStateCodec.decode(activityStateCodec.encode(s))).toEqual(s);
  });

  it('leaves fields at their initial value out: a new activity is well under half the bytes', () => {
    const s = fresh();
    const compact = activityStateCodec.encode(s).length;
    const complete = jsonCodec().encode({ ...s, originalOptions: s.options }).length;
    expect(compact * 2).toBeLessThan(complete);
  });

  it('encodes a decoded state to the same bytes, whatever its key order', () => {
    const bytes = activityStateCodec.encode(busy());
    const reordered = Object.fromEntries(Object.entries(activityStateCodec.decode(bytes)).reverse()) as unknown as ActivityState;
    expect(Buffer.from(activityStateCodec.encode(reordered)).equals(Buffer.from(bytes))).toBe(true);
  });

  it('reads what version 1 wrote (the core JSON codec, every field present)', () => {
    const s = busy();
    expect(activityStateCodec.decode(jsonCodec().encode(s))).toEqual(s);
  });

  it('keeps a field it does not know, bytes included', () => {
    const s = { ...fresh(), later: new Uint8Array([7]) } as unknown as ActivityState;
    expect(activityStateCodec.decode(activityStateCodec.encode(s))).toEqual(s);
  });
});
