import { lib } from '../library-builder.js';
import { mapOf, type ComponentOf } from '@chasm/core';

/** Reference C.2: SCHEDULED, BACKING_OFF and STARTED are pending; the rest are terminal. */
export type OperationStatus = 'scheduled' | 'backingOff' | 'started' | 'succeeded' | 'failed' | 'canceled' | 'timedOut' | 'terminated';

/** Reference C.4. `unspecified`: requested, waiting for the operation to start (no token to cancel yet). */
export type CancellationStatus = 'unspecified' | 'scheduled' | 'backingOff' | 'succeeded' | 'failed';

export interface CancellationState {
  status: CancellationStatus;
  requestedTime: number;
  /** The NexusOperationCancelRequested event (workflow-owned operations). */
  requestedEventId: number;
  attempt: number;
  lastAttemptCompleteTime: number | null;
  /** Encoded temporal.api.failure.v1.Failure of the last failed attempt. */
  lastAttemptFailure: Uint8Array | null;
  nextAttemptScheduleTime: number | null;
}

/**
 * A Nexus operation's state (reference C.1). The same component serves an operation a workflow
 * schedules (under the run's `extensions`, keyed by its scheduled event id) and, later, a
 * standalone operation as its own execution: where outcomes go is the owner's business
 * (`operation-owner.ts`), not the state machine's.
 */
export interface OperationState {
  status: OperationStatus;
  endpointId: string;
  endpoint: string;
  service: string;
  operation: string;
  scheduledTime: number;
  startedTime: number | null;
  closedTime: number | null;
  /** 0: none. */
  scheduleToCloseMs: number;
  scheduleToStartMs: number;
  startToCloseMs: number;
  /** Server-generated; the Nexus request id of every attempt. */
  requestId: string;
  attempt: number;
  lastAttemptCompleteTime: number | null;
  /** Encoded temporal.api.failure.v1.Failure of the last failed attempt. */
  lastAttemptFailure: Uint8Array | null;
  nextAttemptScheduleTime: number | null;
  operationToken: string;
  /** Encoded temporal.api.common.v1.Payload: the input, sent with every attempt. */
  input: Uint8Array | null;
  /** The user's Nexus header, lower-cased keys. */
  header: Record<string, string>;
  /** The NexusOperationScheduled event id (workflow-owned); 0 for a standalone operation. */
  scheduledEventId: number;
  cancellation: CancellationState | null;
}

export const PENDING: ReadonlySet<OperationStatus> = new Set(['scheduled', 'backingOff', 'started']);

export const NexusOperation = lib.component({
  name: 'operation',
  lifecycle: (s: OperationState) => (PENDING.has(s.status) ? 'running' : s.status === 'succeeded' ? 'completed' : 'failed'),
});
export type OperationComponent = ComponentOf<typeof NexusOperation>;

/**
 * A workflow run's Nexus operations, one node under the run's `extensions` map (key
 * `OPERATIONS_KEY`), keyed by scheduled event id. Operations leave the map when they close
 * (reference D.3), so it holds the pending ones only.
 */
export const WorkflowOperations = lib.component({
  name: 'workflowOperations',
  children: { operations: mapOf(NexusOperation) },
  lifecycle: (_s: Record<string, never>) => 'running' as const,
});
export type WorkflowOperationsComponent = ComponentOf<typeof WorkflowOperations>;

/** The registry's key in the workflow root's `extensions` map: the library name. */
export const OPERATIONS_KEY = 'nexus';
