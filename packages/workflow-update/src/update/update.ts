import { lib } from '../library-builder.js';
import { mapOf, type ComponentOf } from '@chasm/core';

/**
 * An update's state machine: admitted (waiting for or delivered on a workflow task), then
 * accepted by the worker's validator (UpdateAccepted event) or rejected (no event), then
 * completed (UpdateCompleted event, or the workflow closed first).
 */
export type UpdateStatus = 'admitted' | 'accepted' | 'rejected' | 'completed';

export interface UpdateState {
  status: UpdateStatus;
  updateId: string;
  /** Encoded temporal.api.update.v1.Request as the client sent it (delivered to the worker, echoed in UpdateAccepted). */
  request: Uint8Array;
  admittedTime: number;
  /** Stamp of the workflow task the update was last delivered on; 0 while undelivered. */
  sentStamp: number;
  acceptedEventId: number;
  /** 0 when the outcome came from the server (workflow closed before the update completed). */
  completedEventId: number;
  /** Encoded temporal.api.update.v1.Outcome once rejected or completed: what retried requests are answered with. */
  outcome: Uint8Array | null;
}

export const WorkflowUpdate = lib.component({
  name: 'update',
  lifecycle: (s: UpdateState) => (s.status === 'rejected' || s.status === 'completed' ? 'completed' : 'running'),
});
export type UpdateComponent = ComponentOf<typeof WorkflowUpdate>;

export interface UpdateRegistryState {
  /** Admitted, neither accepted nor rejected, in admission (= delivery) order. */
  admitted: string[];
  /** Accepted, not yet completed. */
  accepted: string[];
  /** Updates counted against maxTotalUpdates: every admitted one that was not rejected. */
  total: number;
  /** Ids of kept rejected updates, oldest first (bounded: rejections do not count toward limits). */
  rejected: string[];
  /**
   * Stamp of the task that follows a heartbeat completion (0: none). That task carries only
   * updates not delivered yet; any other task (e.g. the retry after it failed) carries them all.
   */
  heartbeatStamp: number;
}

/**
 * The run's updates, one node under the workflow root's `extensions` map. Its state holds the
 * in-flight lists, so admission, delivery and limits never scan completed updates.
 */
export const UpdateRegistry = lib.component({
  name: 'registry',
  children: { updates: mapOf(WorkflowUpdate) },
  lifecycle: (_s: UpdateRegistryState) => 'running' as const,
});
export type UpdateRegistryComponent = ComponentOf<typeof UpdateRegistry>;

/** The registry's key in the workflow root's `extensions` map: the library name, so extensions never collide. */
export const REGISTRY_KEY = 'workflowUpdate';

export const emptyRegistry = (): UpdateRegistryState => ({ admitted: [], accepted: [], total: 0, rejected: [], heartbeatStamp: 0 });
