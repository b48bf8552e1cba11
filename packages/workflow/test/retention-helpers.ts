import type { Connection } from '@temporalio/client';
import type { Database } from '@chasm/core';
import { eventually } from '@chasm/core/testing';
import { long } from '@chasm/matching';

/** The tables an execution has rows in (history batches are chasm_nodes rows). */
export const EXECUTION_TABLES = ['executions', 'current_executions', 'chasm_nodes', 'chasm_tasks', 'visibility'] as const;
export type RowCounts = Record<(typeof EXECUTION_TABLES)[number], number>;

/** Rows per execution table, optionally only of one namespace id. */
export async function rowCounts(database: Database, namespaceId?: string): Promise<RowCounts> {
  const out = {} as RowCounts;
  for (const table of EXECUTION_TABLES) {
    let q = database.db.selectFrom(table).select(database.db.fn.countAll().as('n'));
    if (namespaceId !== undefined) q = q.where('namespace_id', '=', namespaceId);
    const row = (await q.executeTakeFirstOrThrow()) as { n: number | string };
    out[table] = Number(row.n);
  }
  return out;
}

export const totalRows = (c: RowCounts): number => Object.values(c).reduce((a, b) => a + b, 0);

// The one polling wait of the test suites; callers pass (fn, timeoutMs, what).
export { eventually };

/** Registers a namespace whose closed executions are kept `seconds` seconds. */
export async function registerWithRetention(connection: Connection, namespace: string, seconds: number): Promise<string> {
  await connection.workflowService.registerNamespace({ namespace, workflowExecutionRetentionPeriod: { seconds: long(seconds) } });
  const d = await connection.workflowService.describeNamespace({ namespace });
  return d.namespaceInfo?.id ?? '';
}

/** grpc.status.NOT_FOUND. */
export const NOT_FOUND = 5;

/**
 * gRPC status code of a failed call, or 'ok'. The SDK client turns NOT_FOUND of a workflow call
 * into WorkflowNotFoundError, whose cause (if any) carries the code.
 */
export async function statusOf(call: () => Promise<unknown>): Promise<number | 'ok'> {
  try {
    await call();
    return 'ok';
  } catch (e) {
    const err = e as { code?: unknown; name?: unknown; cause?: { code?: unknown } };
    if (typeof err.code === 'number') return err.code;
    if (typeof err.cause?.code === 'number') return err.cause.code;
    if (err.name === 'WorkflowNotFoundError') return NOT_FOUND;
    throw e;
  }
}
