import { jsonCodec, type Codec } from '@chasm/core';
import type { ActivityOutcomeState, ActivityState } from './activity-state.js';

/**
 * The activity root's codec: JSON of the fields that differ from a new activity's, in a fixed
 * order, bytes as `{ "$b": base64 }` like the core JSON codec.
 *
 * Why not the core codec: the root is encoded at every commit that touches it (the dirtiness
 * check, then the row), three times per activity, and most of its fields keep their initial
 * null, 0 or '' for the activity's whole life (heartbeats, pause/reset/cancel bookkeeping). Left
 * out, a running activity's root is less than half the bytes, and it is written without the core
 * codec's replacer function, which takes JSON.stringify off V8's fast path (issue 16, ADR 0057).
 *
 * Decoding reads both forms (the complete objects version 1 wrote, and this one) through the
 * core codec's reviver, then fills in the omitted fields. The order is fixed by `FIELDS`, not by
 * the object, so a decoded state encodes to the same bytes (no spurious write after a load).
 */

/**
 * Every field with the value a new activity has, when that value is the same for all of them:
 * what the codec leaves out, and what `newActivityState` starts from.
 */
export const ACTIVITY_STATE_DEFAULTS = {
  originalOptions: null,
  identity: '',
  startGuardAt: null,
  startedTime: null,
  firstStartedTime: null,
  lastAttemptCompleteTime: null,
  retryIntervalMs: null,
  lastHeartbeatTime: null,
  heartbeatCount: 0,
  heartbeatDetails: null,
  lastFailure: null,
  lastWorkerIdentity: '',
  sdkName: '',
  sdkVersion: '',
  cancel: null,
  terminateRequestId: null,
  lastPauseRequestId: null,
  lastUnpauseRequestId: null,
  lastResetRequestId: null,
  lastUpdateRequestId: null,
  pendingReset: null,
  closeTime: null,
  outcome: null,
} as const satisfies Partial<ActivityState>;

/** The encoding order: every field of ActivityState (a test checks it against newActivityState). */
export const ACTIVITY_STATE_FIELDS = [
  'activityId',
  'activityType',
  'status',
  'options',
  'originalOptions',
  'identity',
  'scheduleTime',
  'attempt',
  'stamp',
  'dispatchTime',
  'startGuardAt',
  'startedTime',
  'firstStartedTime',
  'lastAttemptCompleteTime',
  'retryIntervalMs',
  'lastHeartbeatTime',
  'heartbeatCount',
  'heartbeatDetails',
  'lastFailure',
  'lastWorkerIdentity',
  'sdkName',
  'sdkVersion',
  'cancel',
  'terminateRequestId',
  'lastPauseRequestId',
  'lastUnpauseRequestId',
  'lastResetRequestId',
  'lastUpdateRequestId',
  'pendingReset',
  'closeTime',
  'outcome',
] as const satisfies readonly (keyof ActivityState)[];

const KNOWN = new Set<string>(ACTIVITY_STATE_FIELDS);
const generic = jsonCodec<Record<string, unknown>>();

const bytes = (b: Uint8Array | null): { $b: string } | null => (b === null ? null : { $b: Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64') });

function outcomeJson(o: ActivityOutcomeState): Record<string, unknown> {
  return { result: bytes(o.result), failure: bytes(o.failure), retryState: o.retryState };
}

export const activityStateCodec: Codec<ActivityState> = {
  name: 'activity.state.v2',
  encode(s) {
    const out: Record<string, unknown> = {};
    const src = s as unknown as Record<string, unknown>;
    for (const k of ACTIVITY_STATE_FIELDS) {
      const v = src[k];
      if (v === undefined || (k in ACTIVITY_STATE_DEFAULTS && v === ACTIVITY_STATE_DEFAULTS[k as keyof typeof ACTIVITY_STATE_DEFAULTS])) continue;
      // The byte fields by name: plain JSON.stringify would write a Uint8Array as an index map.
      if (k === 'heartbeatDetails' || k === 'lastFailure') out[k] = bytes(v as Uint8Array);
      else if (k === 'outcome') out[k] = outcomeJson(v as ActivityOutcomeState);
      else out[k] = v;
    }
    let extra: Record<string, unknown> | undefined;
    for (const k in src) if (!KNOWN.has(k) && src[k] !== undefined) (extra ??= {})[k] = src[k];
    // A field added without a place above still round-trips, through the core codec's replacer.
    if (extra) return generic.encode({ ...out, ...extra });
    return Buffer.from(JSON.stringify(out), 'utf8');
  },
  decode(b) {
    return { ...ACTIVITY_STATE_DEFAULTS, ...generic.decode(b) } as unknown as ActivityState;
  },
};
