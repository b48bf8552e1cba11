/** A backlog task's place in dispatch order: priority level, then fairness pass, then id. */
export interface TaskKey {
  readonly priority: number;
  readonly pass: number;
  readonly taskId: number;
}

export function compareKeys(a: TaskKey, b: TaskKey): number {
  return a.priority - b.priority || a.pass - b.pass || a.taskId - b.taskId;
}
