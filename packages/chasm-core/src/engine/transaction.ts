import type { AnyComponent } from '../component/component-type.js';
import { isClosed } from '../component/lifecycle.js';
import type { AddTaskOptions, Context, MutableContext } from '../context.js';
import { FailedPreconditionError } from '../errors.js';
import type { ExecutionKey } from '../persistence/store.js';
import type { ComponentRef } from '../ref.js';
import type { AnyTaskType, TaskAttributes } from '../task/task-type.js';
import type { LiveTask, TreeNode } from '../tree/node.js';
import type { Tree } from '../tree/tree.js';

/** A task added during a transaction, validated and given an id at commit. */
export interface PendingTask {
  readonly node: TreeNode;
  readonly type: AnyTaskType;
  readonly payload: unknown;
  readonly at: Date | null;
}

/**
 * One transaction on a tree: its fixed `now`, its buffered tasks, and the contexts handed to
 * feature code. `nextTc` is the transition count the commit will stamp.
 */
export class Transaction {
  readonly newTasks: PendingTask[] = [];
  readonly immediatePure: PendingTask[] = [];

  constructor(
    readonly tree: Tree,
    readonly key: ExecutionKey,
    readonly now: Date,
    readonly currentTc: number,
  ) {}

  get nextTc(): number {
    return this.currentTc + 1;
  }

  ref(component: AnyComponent, tc = this.currentTc): ComponentRef {
    const node = this.tree.nodes.get(component.path);
    if (!node) throw new FailedPreconditionError(`component at '${component.path}' is not in this execution`);
    // Field by field, not `{ ...this.key, path, … }`: the spread-then-new-field slow path (ADR
    // 0041), ~0.7 % of the server's profile at 50 callers (a completion asks for refs).
    const k = this.key;
    return {
      namespaceId: k.namespaceId,
      businessId: k.businessId,
      archetype: k.archetype,
      runId: k.runId,
      path: node.path,
      initialTc: node.persisted === undefined ? this.nextTc : node.initialTc,
      executionTc: tc,
    };
  }

  readContext(): Context {
    return {
      now: this.now,
      key: this.key,
      transitionCount: this.currentTc,
      stateBytes: this.tree.componentBytes,
      memoryEpoch: this.tree.memoryEpoch,
      ref: (c) => this.ref(c),
    };
  }

  #mutable: MutableContext | undefined;

  /**
   * The transaction's mutable context: one object per transaction (the root's settle hook, the
   * caller's function and pure tasks run at commit all get this one), so feature code may key
   * per-transaction scratch on it (the workflow's history writer: one batch per commit).
   */
  mutableContext(): MutableContext {
    return (this.#mutable ??= {
      now: this.now,
      key: this.key,
      transitionCount: this.currentTc,
      stateBytes: this.tree.componentBytes,
      memoryEpoch: this.tree.memoryEpoch,
      // A ref taken inside a mutation is a token for the state this transaction commits.
      ref: (c) => this.ref(c, this.nextTc),
      addTask: (component: AnyComponent, type: AnyTaskType, payload: unknown, opts?: AddTaskOptions) => {
        const node = this.tree.nodes.get(component.path);
        if (!node || node.kind !== 'component') {
          throw new FailedPreconditionError(`cannot add task ${type.name}: no component at '${component.path}'`);
        }
        if (type.component.name !== node.typeName) {
          throw new FailedPreconditionError(`task ${type.name} belongs to ${type.component.name}, not ${node.typeName}`);
        }
        const at = opts?.at ?? null;
        const pending = { node, type, payload, at };
        if (type.kind === 'pure' && at === null) this.immediatePure.push(pending);
        else this.newTasks.push(pending);
      },
    } as MutableContext);
  }
}

/**
 * The access rule: a task (or progress operation) on a component is allowed only while the
 * component is not paused and no non-detached ancestor is closed or paused.
 */
export function accessAllowed(tree: Tree, node: TreeNode): boolean {
  if (tree.wrap(node).lifecycle() === 'paused') return false;
  let n: TreeNode = node;
  while (!n.componentType?.detached) {
    const p = n.parentComponent();
    if (!p) return true;
    const l = tree.wrap(p).lifecycle();
    if (l === 'paused' || isClosed(l)) return false;
    n = p;
  }
  return true;
}

export function taskPayload(type: AnyTaskType, task: LiveTask): unknown {
  if (!('payload' in task)) task.payload = type.codec.decode(task.row.payload);
  return task.payload;
}

export function taskAttributes(task: LiveTask): TaskAttributes {
  return { scheduledAt: task.row.fireAt, taskId: task.row.taskId };
}

/** Access rule plus the task's own validator. */
export function taskValid(tree: Tree, ctx: Context, node: TreeNode, type: AnyTaskType, payload: unknown, attrs: TaskAttributes): boolean {
  if (!accessAllowed(tree, node)) return false;
  return type.validate(ctx, tree.wrap(node), payload, attrs);
}
