import type { AnyComponent, AnyComponentType, ComponentType, ChildSpecs, Component } from '../component/component-type.js';
import type { Context, MutableContext } from '../context.js';
import type { ComponentRef } from '../ref.js';
import type { ExecutionStatus, VisibilityFilter, VisibilityPage, VisibilityRecord } from '../persistence/store.js';

export type IdReusePolicy = 'allowDuplicate' | 'allowDuplicateFailedOnly' | 'rejectDuplicate';
export type IdConflictPolicy = 'fail' | 'useExisting';

/** Addresses the root of an execution by business id (the current run unless runId is given). */
export interface RootTarget<TState = unknown, TChildren extends ChildSpecs = ChildSpecs> {
  readonly type: ComponentType<TState, TChildren>;
  readonly namespaceId: string;
  readonly businessId: string;
  readonly runId?: string;
}
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Target = ComponentRef | RootTarget<any, any>;

export interface StartOptions<TState, TChildren extends ChildSpecs, TOut> {
  /** Builds the root's initial state. */
  readonly init: (ctx: MutableContext) => TState;
  /** Runs after the root exists: create children, apply transitions, add tasks. */
  readonly run?: (root: Component<TState, TChildren>, ctx: MutableContext) => TOut;
  /** Dedup key: a retried start with the same request id returns the same run. */
  readonly requestId: string;
  /**
   * The new run's id (default: a fresh UUID). For runs named before they exist, e.g. the next run
   * of a workflow chain, which the closing run's last event already points at.
   */
  readonly runId?: string;
  readonly reusePolicy?: IdReusePolicy;
  readonly conflictPolicy?: IdConflictPolicy;
}

export interface StartResult<TOut> {
  readonly ref: ComponentRef;
  readonly runId: string;
  /** false when an existing run was returned (request-id retry or useExisting). */
  readonly created: boolean;
  /** Present only when created. */
  readonly output?: TOut;
}

export interface UpdateOptions<C = AnyComponent> {
  /**
   * Runs under the execution's lock before the transaction, on the cached state (speculative
   * changes included, not yet settled). A throw fails the update and leaves the cached execution,
   * and any speculative change it holds, as it was; a throw from `fn` instead drops the cached
   * execution, speculative changes with it. For checks that refuse a stale request (a task token
   * from an earlier attempt) without costing the run the start it holds in memory (ADR 0064).
   */
  readonly precondition?: (component: C, ctx: Context) => void;
  /** If this execution already applied this request id, the update fails with RequestIdAlreadyUsedError. */
  readonly requestId?: string;
  /**
   * Apply `fn` to the cached execution without committing (Temporal's speculative mutation):
   * nothing is written, long polls are woken, and the change stays in memory only. The next
   * committing transaction on the execution first runs the root's `settleSpeculative` hook and
   * then writes the change with its own; evicting or reloading the execution loses it. `fn` may
   * not add tasks (they could not be durable). For state that may be lost, e.g. an update
   * admitted but not yet accepted, whose caller retries.
   */
  readonly speculative?: boolean;
}

export interface UpdateResult<TOut> {
  readonly output: TOut;
  /** Fresh consistency token for the same component (undefined if it was deleted). */
  readonly ref: ComponentRef | undefined;
}

export interface PollOptions {
  readonly signal?: AbortSignal;
  /** The caller's deadline; the poll answers empty shortly before it. */
  readonly deadline?: Date;
}

export interface PollResult<TOut> {
  /** undefined when the deadline (or signal) came first: "poll again". */
  readonly value: TOut | undefined;
  readonly ref: ComponentRef;
}

export interface ListQuery {
  readonly namespaceId: string;
  readonly filter?: VisibilityFilter;
  readonly orderBy?: readonly { readonly field: string; readonly desc: boolean }[];
  readonly pageSize?: number;
  readonly pageToken?: string;
}

export interface ExecutionInfo {
  readonly status: ExecutionStatus;
  readonly startTime: Date;
  readonly closeTime: Date | null;
  readonly transitionCount: number;
}

/** The CHASM engine: every read and change of component state goes through it. */
export interface Engine {
  start<TState, TChildren extends ChildSpecs, TOut = void>(
    type: ComponentType<TState, TChildren>,
    id: { readonly namespaceId: string; readonly businessId: string },
    opts: StartOptions<TState, TChildren, TOut>,
  ): Promise<StartResult<TOut>>;

  update<TState, TChildren extends ChildSpecs, TOut>(
    target: RootTarget<TState, TChildren>,
    fn: (component: Component<TState, TChildren>, ctx: MutableContext) => TOut,
    opts?: UpdateOptions<Component<TState, TChildren>>,
  ): Promise<UpdateResult<TOut>>;
  update<TOut>(target: ComponentRef, fn: (component: AnyComponent, ctx: MutableContext) => TOut, opts?: UpdateOptions): Promise<UpdateResult<TOut>>;

  /** Updates the running execution if there is one, else starts one and then applies `fn`. */
  updateWithStart<TState, TChildren extends ChildSpecs, TOut>(
    type: ComponentType<TState, TChildren>,
    id: { readonly namespaceId: string; readonly businessId: string },
    start: Omit<StartOptions<TState, TChildren, unknown>, 'conflictPolicy'>,
    fn: (component: Component<TState, TChildren>, ctx: MutableContext) => TOut,
  ): Promise<UpdateResult<TOut> & { readonly created: boolean; readonly runId: string }>;

  read<TState, TChildren extends ChildSpecs, TOut>(
    target: RootTarget<TState, TChildren>,
    fn: (component: Component<TState, TChildren>, ctx: Context) => TOut,
  ): Promise<TOut>;
  read<TOut>(target: ComponentRef, fn: (component: AnyComponent, ctx: Context) => TOut): Promise<TOut>;

  /**
   * Long poll: evaluates `fn` now and after every commit of the execution until it returns a
   * value other than undefined, or the deadline/signal arrives. `fn` must be monotonic.
   */
  poll<TState, TChildren extends ChildSpecs, TOut>(
    target: RootTarget<TState, TChildren>,
    fn: (component: Component<TState, TChildren>, ctx: Context) => TOut | undefined,
    opts?: PollOptions,
  ): Promise<PollResult<TOut>>;
  poll<TOut>(target: ComponentRef, fn: (component: AnyComponent, ctx: Context) => TOut | undefined, opts?: PollOptions): Promise<PollResult<TOut>>;

  /** Execution-level facts (status, times) without touching components. */
  describe(target: Target): Promise<ExecutionInfo & { readonly runId: string }>;

  /** Terminates the root if running (via its `terminate`), then deletes the execution. */
  delete(target: Target, reason?: string): Promise<void>;

  list(type: AnyComponentType, query: ListQuery): Promise<VisibilityPage>;
  count(type: AnyComponentType, query: Omit<ListQuery, 'pageSize' | 'pageToken' | 'orderBy'>): Promise<number>;
}

export type { VisibilityRecord };
