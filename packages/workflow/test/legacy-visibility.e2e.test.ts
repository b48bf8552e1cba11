import { randomUUID } from 'node:crypto';
import { eventually, testDatabaseConfigs } from '@chasm/core/testing';
import { matchingPlugin } from '@chasm/matching';
import { startTestServer, type TestServer } from '@chasm/runtime/testing';
import { Connection } from '@temporalio/client';
import { google, temporal } from '@temporalio/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workflowPlugin } from '../src/index.js';

const NS = 'default';
/** A protobuf Timestamp at whole seconds (the generated types want Long seconds). */
const ts = (seconds: number): google.protobuf.ITimestamp => google.protobuf.Timestamp.fromObject({ seconds });
const Status = temporal.api.enums.v1.WorkflowExecutionStatus;
const IndexedValueType = temporal.api.enums.v1.IndexedValueType;

/** The list RPCs that predate the query language, and GetSearchAttributes, through raw gRPC. */
describe.each(testDatabaseConfigs('chasm_wf_legacy_vis'))('legacy visibility RPCs on $name', (store) => {
  let server: TestServer;
  let connection: Connection;
  let drop: () => Promise<void>;
  beforeAll(async () => {
    const db = await store.open();
    drop = db.drop;
    server = await startTestServer({ plugins: [matchingPlugin, workflowPlugin], database: db.config });
    connection = await Connection.connect({ address: server.address });
  });
  afterAll(async () => {
    await connection?.close();
    await server?.[Symbol.asyncDispose]();
    await drop?.();
  });

  it('ListOpen/ListClosed/Scan filter by type, execution, status and time', { timeout: 60_000 }, async () => {
    const svc = connection.workflowService;
    const type = `legacy_${randomUUID().slice(0, 8)}`;
    const before = new Date(Date.now() - 1000);
    const ids = [0, 1, 2].map((i) => `${type}-${i}`);
    for (const workflowId of ids) {
      await svc.startWorkflowExecution({ namespace: NS, workflowId, workflowType: { name: type }, taskQueue: { name: 'legacy' }, requestId: randomUUID() });
    }
    await svc.terminateWorkflowExecution({ namespace: NS, workflowExecution: { workflowId: ids[0]! }, reason: 'done' });
    await eventually(
      async () => (await svc.countWorkflowExecutions({ namespace: NS, query: `WorkflowType = '${type}' AND ExecutionStatus = 'Terminated'` })).count?.toString() === '1',
      20_000,
      'the terminated run in visibility',
    );
    const window = { earliestTime: ts(Math.floor(before.getTime() / 1000)), latestTime: ts(Math.floor(Date.now() / 1000) + 60) };

    const open = await svc.listOpenWorkflowExecutions({ namespace: NS, maximumPageSize: 10, startTimeFilter: window, typeFilter: { name: type } });
    expect(open.executions.map((e) => e.execution?.workflowId).sort()).toEqual([ids[1], ids[2]]);
    expect(open.executions.every((e) => e.status === Status.WORKFLOW_EXECUTION_STATUS_RUNNING)).toBe(true);

    const byId = await svc.listOpenWorkflowExecutions({ namespace: NS, executionFilter: { workflowId: ids[2]! } });
    expect(byId.executions.map((e) => e.execution?.workflowId)).toEqual([ids[2]]);

    const closed = await svc.listClosedWorkflowExecutions({ namespace: NS, startTimeFilter: window, typeFilter: { name: type } });
    expect(closed.executions.map((e) => e.execution?.workflowId)).toEqual([ids[0]]);
    const byStatus = await svc.listClosedWorkflowExecutions({ namespace: NS, startTimeFilter: window, statusFilter: { status: Status.WORKFLOW_EXECUTION_STATUS_TERMINATED } });
    expect(byStatus.executions.map((e) => e.execution?.workflowId)).toContain(ids[0]);
    const noneYet = await svc.listClosedWorkflowExecutions({ namespace: NS, startTimeFilter: { latestTime: ts(Math.floor(before.getTime() / 1000)) }, typeFilter: { name: type } });
    expect(noneYet.executions).toHaveLength(0);

    // Paging: one at a time through both open runs.
    const first = await svc.listOpenWorkflowExecutions({ namespace: NS, maximumPageSize: 1, typeFilter: { name: type } });
    expect(first.executions).toHaveLength(1);
    const second = await svc.listOpenWorkflowExecutions({ namespace: NS, maximumPageSize: 1, typeFilter: { name: type }, nextPageToken: first.nextPageToken });
    expect(second.executions).toHaveLength(1);
    expect(second.executions[0]!.execution?.workflowId).not.toBe(first.executions[0]!.execution?.workflowId);

    const scan = await svc.scanWorkflowExecutions({ namespace: NS, query: `WorkflowType = '${type}'`, pageSize: 10 });
    expect(scan.executions).toHaveLength(3);

    await expect(svc.listClosedWorkflowExecutions({ namespace: NS, typeFilter: { name: type }, statusFilter: { status: Status.WORKFLOW_EXECUTION_STATUS_RUNNING } })).rejects.toMatchObject({ code: 3 });
    await expect(svc.listClosedWorkflowExecutions({ namespace: NS, statusFilter: { status: Status.WORKFLOW_EXECUTION_STATUS_RUNNING } })).rejects.toThrow(/status_filter/);
    await expect(
      svc.listOpenWorkflowExecutions({ namespace: NS, startTimeFilter: { earliestTime: ts(2_000_000_000), latestTime: ts(1) } }),
    ).rejects.toThrow(/start_time_filter/);
  });

  it('GetSearchAttributes answers the system attributes and the custom ones', async () => {
    const name = `LegacyCustom${randomUUID().slice(0, 6)}`;
    await connection.operatorService.addSearchAttributes({ namespace: NS, searchAttributes: { [name]: IndexedValueType.INDEXED_VALUE_TYPE_INT } });
    const res = await connection.workflowService.getSearchAttributes({});
    expect(res.keys['WorkflowId']).toBe(IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD);
    expect(res.keys['StartTime']).toBe(IndexedValueType.INDEXED_VALUE_TYPE_DATETIME);
    expect(res.keys[name]).toBe(IndexedValueType.INDEXED_VALUE_TYPE_INT);
  });
});
