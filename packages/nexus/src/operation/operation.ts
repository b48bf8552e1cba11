import { lib } from '../library-builder.js';
import { mapOf, type ComponentOf, type ExecutionStatus, type MutableContext, type RootTarget } from '@chasm/core';

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
  /** A standalone operation (its own execution, issue 13); absent inside a workflow run. */
  standalone?: StandaloneState;
}

/** What only a standalone operation has (reference C.6). */
export interface StandaloneState {
  operationId: string;
  /** The namespace's name at start (links name it). */
  namespace: string;
  identity: string;
  /** Encoded temporal.api.sdk.v1.UserMetadata. */
  userMetadata: Uint8Array | null;
  /** Encoded temporal.api.common.v1.SearchAttributes as given (echoed by Describe, not indexed). */
  searchAttributesBytes: Uint8Array | null;
  /** Encoded temporal.api.common.v1.Payload (success) or Failure (otherwise) once closed. */
  result: Uint8Array | null;
  failure: Uint8Array | null;
  /** The handler's links (encoded temporal.api.common.v1.Link each). */
  links: Uint8Array[];
  cancelRequestId: string;
  cancelReason: string;
  cancelIdentity: string;
  terminateRequestId: string;
}

export const PENDING: ReadonlySet<OperationStatus> = new Set(['scheduled', 'backingOff', 'started']);

/** The search attributes of a standalone operation (reference C.6, List/Count fields). */
export const OPERATION_SEARCH_ATTRIBUTE_TYPES = {
  OperationId: 'Keyword',
  Endpoint: 'Keyword',
  Service: 'Keyword',
  Operation: 'Keyword',
  RequestId: 'Keyword',
} as const;

const EXECUTION_STATUS: Readonly<Record<OperationStatus, ExecutionStatus>> = {
  scheduled: 'running',
  backingOff: 'running',
  started: 'running',
  succeeded: 'completed',
  failed: 'failed',
  canceled: 'canceled',
  timedOut: 'timedOut',
  terminated: 'terminated',
};

/**
 * The operation. Inside a workflow run it is a child; as a standalone operation it is the root of
 * its own execution, where the root-only options below apply (visibility, terminate).
 */
export const NexusOperation = lib.component({
  name: 'operation',
  lifecycle: (s: OperationState) => (PENDING.has(s.status) ? 'running' : s.status === 'succeeded' ? 'completed' : 'failed'),
  executionStatus: (s: OperationState) => EXECUTION_STATUS[s.status],
  searchAttributeTypes: OPERATION_SEARCH_ATTRIBUTE_TYPES,
  searchAttributes: (s: OperationState) => ({
    OperationId: s.standalone?.operationId ?? '',
    Endpoint: s.endpoint,
    Service: s.service,
    Operation: s.operation,
    RequestId: s.requestId,
  }),
  terminate(op, ctx, reason) {
    operationHooks.terminate?.(op, ctx, reason);
  },
});
export type OperationComponent = ComponentOf<typeof NexusOperation>;
export type OperationTarget = RootTarget<OperationState, (typeof NexusOperation)['children']>;

/** A standalone operation by id: the given run, or the current one. */
export const operationTarget = (namespaceId: string, operationId: string, runId?: string | null): OperationTarget => ({
  type: NexusOperation,
  namespaceId,
  businessId: operationId,
  ...(runId ? { runId } : {}),
});

/** Late-bound: the component must not import the state machine that imports it. */
export const operationHooks: { terminate?: (op: OperationComponent, ctx: MutableContext, reason: string) => void } = {};

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
