import type { AnyComponent, ComponentOf } from './component/component-type.js';
import type { ComponentRef } from './ref.js';
import type { ExecutionKey } from './persistence/store.js';
import type { AnyTaskType, TaskComponentOf, TaskPayloadOf } from './task/task-type.js';

/** Read-only view of a transaction. `now` is fixed when the context is created. */
export interface Context {
  readonly now: Date;
  readonly key: ExecutionKey;
  /** The current transition count of the execution (before this transaction commits). */
  readonly transitionCount: number;
  /**
   * Bytes of the execution's component state as its last commit wrote it (data nodes, such as a
   * workflow's history, left out; this transaction's changes not yet in). Free to read: the
   * commits measured it when they encoded the nodes.
   */
  readonly stateBytes: number;
  /** A ref to a component, valid as a consistency token once this transaction commits. */
  ref(component: AnyComponent): ComponentRef;
  /**
   * Which in-memory lineage of the execution this is (ADR 0067): it changes when a speculative
   * change held in memory may have been lost since (another process, or the execution dropped by
   * a failed commit or a lost shard), and only then. An execution holding a speculative change
   * is never evicted from the cache, so eviction and reload keep it. Stored with a task, it tells
   * the task later whether a speculative change made since then can have been lost: equal, no.
   */
  readonly memoryEpoch: string;
}

export interface AddTaskOptions {
  /** When to run; omitted means immediately after commit. */
  readonly at?: Date;
}

/** A transaction that may change state. Tasks are buffered and committed atomically with it. */
export interface MutableContext extends Context {
  /**
   * Adds a task on `component`, which must be of the task's component type (checked by the
   * compiler where the component is typed, and at run time: FailedPreconditionError).
   */
  addTask<T extends AnyTaskType>(component: ComponentOf<TaskComponentOf<T>>, task: T, payload: TaskPayloadOf<T>, opts?: AddTaskOptions): void;
}
