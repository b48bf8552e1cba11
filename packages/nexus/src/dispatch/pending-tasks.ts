import type { temporal } from '../proto.js';
import type { NexusTaskResult } from './nexus-dispatcher.js';

/** A dispatched Nexus task whose caller is waiting in this process. */
export interface PendingNexusTask {
  readonly taskId: string;
  readonly namespaceId: string;
  readonly taskQueue: string;
  readonly request: temporal.api.nexus.v1.IRequest;
  readonly deadline: Date;
  /** `offered`: in matching, waiting for a poller; `taken`: a worker has it, its answer is awaited. */
  state: 'offered' | 'taken';
  /** Resolves the caller; the first call wins and removes the task from the map. */
  settle(result: NexusTaskResult): void;
}

/**
 * The tasks callers are waiting on, by dispatch id (Temporal's `nexusResults` map). In memory on
 * purpose: the caller waits in this process with a deadline of seconds, so a task cannot outlive
 * it, and after a restart nobody is left to answer.
 */
export class PendingNexusTasks {
  readonly #tasks = new Map<string, PendingNexusTask>();

  get size(): number {
    return this.#tasks.size;
  }

  add(task: PendingNexusTask): void {
    this.#tasks.set(task.taskId, task);
  }

  delete(taskId: string): void {
    this.#tasks.delete(taskId);
  }

  /**
   * A poller matched the task: hands it over once. Undefined when the caller is gone (timed out,
   * canceled), the task was taken already, or it belongs to another namespace or queue.
   */
  claim(taskId: string, namespaceId: string, taskQueue: string, now: Date): PendingNexusTask | undefined {
    const t = this.#tasks.get(taskId);
    if (!t || t.state !== 'offered' || t.namespaceId !== namespaceId || t.taskQueue !== taskQueue) return undefined;
    if (t.deadline.getTime() <= now.getTime()) return undefined;
    t.state = 'taken';
    return t;
  }

  /** The taken task a worker's answer is for; undefined when it is unknown or already answered. */
  answerable(taskId: string, namespaceId: string, taskQueue: string): PendingNexusTask | undefined {
    const t = this.#tasks.get(taskId);
    if (!t || t.state !== 'taken' || t.namespaceId !== namespaceId || t.taskQueue !== taskQueue) return undefined;
    return t;
  }

  /** Every waiting task, for shutdown. */
  all(): PendingNexusTask[] {
    return [...this.#tasks.values()];
  }
}
