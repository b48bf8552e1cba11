import type { ColumnType, Selectable } from 'kysely';

/**
 * Kysely table types of matching's tables (created by `migrations.ts`), in camelCase: the
 * backlog store reads through its own `CamelCasePlugin` instance, which maps result columns to
 * camelCase. Its statements are raw SQL (the fences need it), and raw SQL text is not
 * rewritten by the plugin, so the statements spell columns as the database does (snake_case).
 * jsonb contents are left alone (`maintainNestedObjectKeys`): the config's fairness keys come
 * back as written.
 *
 * bigint columns are read as numbers (see the type parsers in @chasm/core's `openDatabase`).
 */
export interface TaskQueuesTable {
  namespaceId: string;
  name: string;
  type: string;
  rangeId: number;
  config: ColumnType<unknown, string, string>;
  updatedAt: ColumnType<Date, Date | string, Date | string>;
}

export interface TaskQueueTasksTable {
  namespaceId: string;
  queueName: string;
  type: string;
  priority: number;
  pass: number;
  taskId: number;
  fairnessKey: string;
  fairnessWeight: number;
  payload: Uint8Array;
  expiry: Date | null;
  createdAt: Date;
}

export interface MatchingDatabase {
  taskQueues: TaskQueuesTable;
  taskQueueTasks: TaskQueueTasksTable;
}

export type TaskQueuesRow = Selectable<TaskQueuesTable>;
export type TaskQueueTasksRow = Selectable<TaskQueueTasksTable>;
