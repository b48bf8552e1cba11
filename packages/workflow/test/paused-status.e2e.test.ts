import { randomUUID } from 'node:crypto';
import { Client, Connection, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { testDatabaseConfigs } from '@chasm/core/testing';
import { startTestServer, type TestServer } from '@chasm/runtime/testing';
import { matchingPlugin } from '@chasm/matching';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workflowPlugin } from '../src/index.js';
import { until } from './e2e-helpers.js';

const Status = temporal.api.enums.v1.WorkflowExecutionStatus;

/**
 * A paused run reports WORKFLOW_EXECUTION_STATUS_PAUSED (Temporal 1.29+) in Describe, List,
 * Count and GROUP BY ExecutionStatus, and stays open: no close time, it holds its workflow id,
 * takes signals, is listed by ListOpenWorkflowExecutions, can be terminated. Unpause makes it
 * RUNNING again. No worker is needed: the status is the server's alone.
 */
describe.each(testDatabaseConfigs('chasm_wf_paused'))('paused workflow status on $name', (dialect) => {
  let server: TestServer;
  let client: Client;
  let drop: (() => Promise<void>) | undefined;
  const taskQueue = `paused-${randomUUID().slice(0, 8)}`;
  const namespace = 'default';

  beforeAll(async () => {
    const db = await dialect.open();
    drop = db.drop;
    server = await startTestServer({ plugins: [matchingPlugin, workflowPlugin], database: db.config });
    client = new Client({ connection: await Connection.connect({ address: server.address }) });
  });
  afterAll(async () => {
    await client?.connection.close();
    await server?.stop();
    await drop?.();
  });

  const start = async (prefix: string) => {
    const workflowId = `${prefix}-${randomUUID().slice(0, 8)}`;
    const h = await client.workflow.start('echoSignals', { taskQueue, workflowId });
    return { h, workflowId };
  };
  const pause = (workflowId: string) => client.workflowService.pauseWorkflowExecution({ namespace, workflowId, identity: 'operator', reason: 'test' });
  const count = async (query: string) => (await client.workflow.count(query)).count;
  /** Waits until visibility counts exactly one run for `query` (visibility is written by a task after the commit). */
  const listed = (workflowId: string, status: string) =>
    until(`${workflowId} listed as ${status}`, async () => ((await count(`WorkflowId = '${workflowId}' AND ExecutionStatus = '${status}'`)) === 1 ? true : undefined));
  /** GROUP BY ExecutionStatus as [status, count] pairs (the SDK decodes a keyword group value as a list). */
  const groups = async (workflowId: string) =>
    (await client.workflow.count(`WorkflowId = '${workflowId}' GROUP BY ExecutionStatus`)).groups.map((g) => [String(g.groupValues[0]), g.count]);
  const listOpen = async (workflowId: string) =>
    (await client.workflowService.listOpenWorkflowExecutions({ namespace, maximumPageSize: 10, executionFilter: { workflowId } })).executions ?? [];
  const listClosed = async (workflowId: string) =>
    (await client.workflowService.listClosedWorkflowExecutions({ namespace, maximumPageSize: 10, executionFilter: { workflowId } })).executions ?? [];

  it('is PAUSED in Describe, List, Count and GROUP BY, still open; unpause makes it RUNNING again', async () => {
    const { h, workflowId } = await start('paused');
    await listed(workflowId, 'Running');
    await pause(workflowId);

    const d = await h.describe();
    expect(d.status.name).toBe('PAUSED');
    expect(d.raw.workflowExecutionInfo?.status).toBe(Status.WORKFLOW_EXECUTION_STATUS_PAUSED);
    expect(d.closeTime).toBeUndefined();

    await listed(workflowId, 'Paused');
    expect(await count(`WorkflowId = '${workflowId}' AND ExecutionStatus = 'Running'`)).toBe(0);
    const found = [];
    for await (const x of client.workflow.list({ query: `WorkflowId = '${workflowId}' AND ExecutionStatus = 'Paused'` })) found.push(x);
    expect(found.map((x) => [x.runId, x.status.name, x.closeTime])).toEqual([[d.runId, 'PAUSED', undefined]]);

    expect(await groups(workflowId)).toEqual([['Paused', 1]]);

    // Open: listed with the open runs, not the closed ones; it holds its workflow id; it takes signals.
    expect((await listOpen(workflowId)).map((x) => x.status)).toEqual([Status.WORKFLOW_EXECUTION_STATUS_PAUSED]);
    expect(await listClosed(workflowId)).toEqual([]);
    await expect(client.workflow.start('echoSignals', { taskQueue, workflowId })).rejects.toBeInstanceOf(WorkflowExecutionAlreadyStartedError);
    await h.signal('echo', 'while paused');
    expect((await h.describe()).status.name).toBe('PAUSED');

    await client.workflowService.unpauseWorkflowExecution({ namespace, workflowId, identity: 'operator', reason: 'done' });
    expect((await h.describe()).status.name).toBe('RUNNING');
    await listed(workflowId, 'Running');
    expect(await count(`WorkflowId = '${workflowId}' AND ExecutionStatus = 'Paused'`)).toBe(0);
    expect(await groups(workflowId)).toEqual([['Running', 1]]);
    await h.terminate('cleanup');
  });

  it('a paused run can be terminated: TERMINATED with a close time, listed closed, its id free again', async () => {
    const { h, workflowId } = await start('paused-term');
    await pause(workflowId);
    await listed(workflowId, 'Paused');

    await h.terminate('operator gave up');
    const d = await h.describe();
    expect(d.status.name).toBe('TERMINATED');
    expect(d.closeTime).toBeInstanceOf(Date);

    await listed(workflowId, 'Terminated');
    expect(await count(`WorkflowId = '${workflowId}' AND ExecutionStatus = 'Paused'`)).toBe(0);
    expect(await listOpen(workflowId)).toEqual([]);
    expect((await listClosed(workflowId)).map((x) => x.status)).toEqual([Status.WORKFLOW_EXECUTION_STATUS_TERMINATED]);
    // The legacy status filter takes closed statuses only: PAUSED is open.
    await expect(
      client.workflowService.listClosedWorkflowExecutions({ namespace, statusFilter: { status: Status.WORKFLOW_EXECUTION_STATUS_PAUSED } }),
    ).rejects.toMatchObject({ code: 3 });
    const again = await client.workflow.start('echoSignals', { taskQueue, workflowId });
    expect(again.firstExecutionRunId).not.toBe(d.runId);
    await again.terminate('cleanup');
  });
});
