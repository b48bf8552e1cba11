import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { NativeConnection, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { testDatabaseConfigs } from '@chasm/core/testing';
import { startTestServer, type TestServer } from '@chasm/runtime/testing';
import { matchingPlugin } from '@chasm/matching';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workflowPlugin } from '../src/index.js';
import { activities, bundleTestWorkflows, quietRuntime, until } from './e2e-helpers.js';

const QueueType = temporal.api.enums.v1.TaskQueueType;

/**
 * A workflow's priority reaches matching with its workflow tasks, and its activities' tasks
 * carry it merged with their own (Temporal's priorities.Merge): the backlog of a queue nobody
 * polls shows each task under its priority key. A priority matching would refuse is refused at
 * the door (INVALID_ARGUMENT) or fails the workflow task (BAD_SCHEDULE_ACTIVITY_ATTRIBUTES), so
 * no task waits forever on a dispatch that cannot succeed.
 */
describe.each(testDatabaseConfigs('chasm_wf_priority'))('task priority on $name', (dialect) => {
  let server: TestServer;
  let client: Client;
  let bundle: WorkflowBundleWithSourceMap;
  let drop: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    quietRuntime();
    bundle = await bundleTestWorkflows();
    const db = await dialect.open();
    drop = db.drop;
    server = await startTestServer({ plugins: [matchingPlugin, workflowPlugin], database: db.config });
    client = new Client({ connection: await Connection.connect({ address: server.address }) });
  }, 120_000);
  afterAll(async () => {
    await client?.connection.close();
    await server?.stop();
    await drop?.();
  });

  /** The backlog per priority key of a queue ({} while empty). */
  const backlog = async (taskQueue: string, type: number): Promise<Record<string, number>> => {
    const d = await client.workflowService.describeTaskQueue({ namespace: 'default', taskQueue: { name: taskQueue }, taskQueueType: type, reportStats: true });
    const out: Record<string, number> = {};
    for (const [k, s] of Object.entries(d.statsByPriorityKey ?? {})) out[k] = Number(s.approximateBacklogCount ?? 0);
    return out;
  };

  it("queues a workflow's first task under the workflow's priority key", async () => {
    const taskQueue = `prio-wf-${randomUUID().slice(0, 8)}`;
    const handles = await Promise.all(
      [1, 5, 0].map((priorityKey, i) =>
        client.workflow.start('forever', { taskQueue, workflowId: `${taskQueue}-${i}`, ...(priorityKey ? { priority: { priorityKey, fairnessKey: 'tenant-a' } } : {}) }),
      ),
    );
    // Key 0 (unset) is the default key, 3.
    expect(await until('three workflow tasks in the backlog', async () => {
      const b = await backlog(taskQueue, QueueType.TASK_QUEUE_TYPE_WORKFLOW);
      return Object.values(b).reduce((a, n) => a + n, 0) === 3 ? b : undefined;
    })).toEqual({ '1': 1, '3': 1, '5': 1 });
    await Promise.all(handles.map((h) => h.terminate('done')));
  });

  it("queues activity tasks with the workflow's priority, the activity's own key over it", async () => {
    const taskQueue = `prio-act-wf-${randomUUID().slice(0, 8)}`;
    const activityQueue = `prio-act-${randomUUID().slice(0, 8)}`;
    const native = await NativeConnection.connect({ address: server.address });
    const worker = await Worker.create({ connection: native, namespace: 'default', taskQueue, workflowBundle: bundle, activities });
    try {
      await worker.runUntil(async () => {
        const h = await client.workflow.start('prioritizedActivities', { taskQueue, workflowId: `${taskQueue}-1`, args: [activityQueue], priority: { priorityKey: 4, fairnessKey: 'tenant-b' } });
        expect(await until('two activity tasks in the backlog', async () => {
          const b = await backlog(activityQueue, QueueType.TASK_QUEUE_TYPE_ACTIVITY);
          return Object.values(b).reduce((a, n) => a + n, 0) === 2 ? b : undefined;
        })).toEqual({ '2': 1, '4': 1 });
        await h.terminate('done');
      });
    } finally {
      await native.close();
    }
  });

  it("starts a child with the parent's priority, the child's own key over it", async () => {
    const taskQueue = `prio-parent-${randomUUID().slice(0, 8)}`;
    const childQueue = `prio-child-${randomUUID().slice(0, 8)}`;
    const native = await NativeConnection.connect({ address: server.address });
    const worker = await Worker.create({ connection: native, namespace: 'default', taskQueue, workflowBundle: bundle, activities });
    try {
      await worker.runUntil(async () => {
        const h = await client.workflow.start('prioritizedChildren', { taskQueue, workflowId: `${taskQueue}-1`, args: [childQueue], priority: { priorityKey: 4, fairnessKey: 'tenant-c' } });
        // Each child's first workflow task waits on the queue nobody polls, under the child's key.
        expect(await until('two child workflow tasks in the backlog', async () => {
          const b = await backlog(childQueue, QueueType.TASK_QUEUE_TYPE_WORKFLOW);
          return Object.values(b).reduce((a, n) => a + n, 0) === 2 ? b : undefined;
        })).toEqual({ '2': 1, '4': 1 });
        // The inheriting child keeps the parent's fairness key too (priorities.Merge field by field).
        const inherited = await client.workflow.getHandle(`${taskQueue}-1-inherits`).describe();
        expect(inherited.raw.workflowExecutionInfo?.priority).toMatchObject({ priorityKey: 4, fairnessKey: 'tenant-c' });
        const own = await client.workflow.getHandle(`${taskQueue}-1-own`).describe();
        expect(own.raw.workflowExecutionInfo?.priority).toMatchObject({ priorityKey: 2, fairnessKey: 'tenant-c' });
        await h.terminate('done');
      });
    } finally {
      await native.close();
    }
  });

  it('refuses a priority matching could never dispatch, before anything is stored', async () => {
    const taskQueue = `prio-bad-${randomUUID().slice(0, 8)}`;
    const workflowId = `${taskQueue}-1`;
    /** The gRPC status under the SDK's "Failed to start Workflow". */
    const refusal = async (priority: { fairnessKey?: string; fairnessWeight?: number }) => {
      const e = await client.workflow.start('forever', { taskQueue, workflowId, priority }).then(
        () => undefined,
        (err: unknown) => (err as { cause?: { code?: number; details?: string } }).cause,
      );
      return { code: e?.code, details: e?.details };
    };
    expect(await refusal({ fairnessKey: 'k'.repeat(65) })).toEqual({ code: 3, details: expect.stringMatching(/priority\.fairness_key/) });
    expect(await refusal({ fairnessWeight: 5000 })).toEqual({ code: 3, details: expect.stringMatching(/priority\.fairness_weight/) });
    await expect(client.workflow.getHandle(workflowId).describe()).rejects.toThrow(/not found/i);
  });
});
