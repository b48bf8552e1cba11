import { lib } from '../library-builder.js';
import type { ComponentOf } from '@chasm/core';

/**
 * Where a completion callback is (temporal.api.enums.v1.CallbackState): STANDBY until the chain
 * of runs really ends, then SCHEDULED (an invocation task is pending), BACKING_OFF (a timer will
 * schedule the next attempt), and finally SUCCEEDED or FAILED.
 */
export type CallbackStatus = 'standby' | 'scheduled' | 'backingOff' | 'succeeded' | 'failed';

/** A completion callback of a workflow run (`completion_callbacks` of the start request). */
export interface CallbackState {
  url: string;
  header: Record<string, string>;
  /** Epoch ms: when the run that holds it started (a run that continues a chain registers them anew). */
  registrationTime: number;
  status: CallbackStatus;
  /** Attempts completed so far; also the stamp of the pending invocation or backoff timer. */
  attempt: number;
  lastAttemptCompleteTime: number | null;
  /** The last attempt's error message (never payloads). */
  lastFailure: string | null;
  nextAttemptTime: number | null;
}

/**
 * One completion callback, a child of the run (`callbacks` map, keyed by its index in the start
 * request). Detached: it is delivered after the run closed, when a non-detached child's tasks
 * would no longer run. Its lifecycle stays 'running' (its end states are plain data for describe).
 */
export const Callback = lib.component({
  name: 'callback',
  detached: true,
  lifecycle: (_s: CallbackState) => 'running',
});
export type CallbackComponent = ComponentOf<typeof Callback>;
