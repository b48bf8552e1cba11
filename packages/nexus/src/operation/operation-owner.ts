import type { ExecutionKey, MutableContext } from '@chasm/core';
import type { temporal } from '../proto.js';
import type { OperationComponent } from './operation.js';

export type Payload = temporal.api.common.v1.IPayload;
export type Failure = temporal.api.failure.v1.IFailure;
export type NexusLink = temporal.api.nexus.v1.ILink;

/** How an operation ended, as its owner records it. */
export type OperationOutcome =
  | { readonly kind: 'succeeded'; readonly result: Payload | null; readonly links?: readonly NexusLink[] }
  | { readonly kind: 'failed' | 'canceled' | 'timedOut'; readonly failure: Failure };

/**
 * Where an operation's progress is recorded (reference D.3 "store hooks"). A workflow-owned
 * operation writes history events and leaves the run's map when it closes; a standalone one (the
 * next step) keeps its outcome itself. The state machine calls these after its own change, in the
 * same transaction.
 */
export interface OperationOwner {
  /** Namespace id and name, and the caller's identity for links and callbacks. */
  describe(op: OperationComponent, key: ExecutionKey): OwnerInfo;
  started(op: OperationComponent, ctx: MutableContext, links: readonly NexusLink[]): void;
  closed(op: OperationComponent, ctx: MutableContext, outcome: OperationOutcome): void;
  /** The cancel request reached the handler (failure null) or failed for good. */
  cancellationResult(op: OperationComponent, ctx: MutableContext, failure: Failure | null): void;
  /** Whether the owner still wants progress (a closed caller run does not). */
  active(op: OperationComponent): boolean;
}

export interface OwnerInfo {
  readonly namespaceId: string;
  readonly namespace: string;
  /** The internal callback target: the execution holding the operation. */
  readonly archetype: string;
  readonly businessId: string;
  readonly runId: string;
  /** The link the handler receives (the caller's scheduled event, or the standalone operation). */
  readonly callerLink: NexusLink;
}
