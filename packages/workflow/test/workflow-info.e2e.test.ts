import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { temporal } from '@temporalio/proto';
import { testDatabaseConfigs } from '@chasm/core/testing';
import { startTestServer, type TestServer } from '@chasm/runtime/testing';
import { matchingPlugin } from '@chasm/matching';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { quietRuntime } from './e2e-helpers.js';
import type * as wf from './info-workflows/index.js';
import { workflowPlugin } from '../src/index.js';

const { EventType } = temporal.api.enums.v1;
type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/**
 * Workflow info (issue 11): the root execution of children, grandchildren and continued runs (in
 * workflowInfo() and Describe), the worker's build ID (WorkflowTaskCompleted, the BuildIds search
 * attribute), children's user metadata, and history length as Temporal counts it.
 */
describe.each(testDatabaseConfigs('chasm_wf_info'))('workflow info through the SDK on $name', (dialect) => {
  let server: TestServer;
  let bundle: WorkflowBundleWithSourceMap;
  let client: Client;
  let native: NativeConnection;
  let drop: (() => Promise<void>) | undefined;
  const workers: { worker: Worker; running: Promise<void> }[] = [];
  const cached = `info-c-${randomUUID().slice(0, 8)}`;
  const uncached = `info-u-${randomUUID().slice(0, 8)}`;
  const buildId = `build-${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    quietRuntime();
    const db = await dialect.open();
    drop = db.drop;
    [server, bundle] = await Promise.all([
      startTestServer({ plugins: [matchingPlugin, workflowPlugin], database: db.config }),
      bundleWorkflowCode({ workflowsPath: fileURLToPath(new URL('./info-workflows/index.ts', import.meta.url)), logger: new DefaultLogger('ERROR') }),
    ]);
    client = new Client({ connection: await Connection.connect({ address: server.address }) });
    native = await NativeConnection.connect({ address: server.address });
    for (const [taskQueue, maxCachedWorkflows] of [[cached, 100], [uncached, 0]] as const) {
      const worker = await Worker.create({
        connection: native,
        namespace: 'default',
        taskQueue,
        workflowBundle: bundle,
        buildId,
        maxCachedWorkflows,
        ...(maxCachedWorkflows === 0 ? { maxConcurrentWorkflowTaskExecutions: 2 } : {}),
      });
      workers.push({ worker, running: worker.run() });
    }
  }, 180_000);
  afterAll(async () => {
    for (const w of workers) w.worker.shutdown();
    await Promise.all(workers.map((w) => w.running));
    await native?.close();
    await client?.connection.close();
    await server?.stop();
    await drop?.();
  });

  const history = async (workflowId: string, runId: string): Promise<HistoryEvent[]> =>
    (await client.workflowService.getWorkflowExecutionHistory({ namespace: 'default', execution: { workflowId, runId } })).history?.events ?? [];
  const describe_ = (workflowId: string, runId?: string) =>
    client.workflowService.describeWorkflowExecution({ namespace: 'default', execution: { workflowId, ...(runId ? { runId } : {}) } });

  it.each([
    ['cached', () => cached],
    ['cache off', () => uncached],
  ])('on a %s worker: root execution, child user metadata, history length and build ID', async (_mode, queue) => {
    const h = await client.workflow.start<typeof wf.infoTop>('infoTop', { taskQueue: queue(), workflowId: `info-${randomUUID()}` });
    const [top, middle, leaf] = await h.result();
    const rootExec = { workflowId: h.workflowId, runId: h.firstExecutionRunId };
    // A workflow without a parent is its own root: the SDK reports none.
    expect(top?.root).toBeNull();
    // The child (in its continued run) and the grandchild share the top's root.
    expect(middle?.workflowId).toBe(`${h.workflowId}-child`);
    expect(middle?.root).toEqual(rootExec);
    expect(leaf?.workflowId).toBe(`${h.workflowId}-child-grandchild`);
    expect(leaf?.root).toEqual(rootExec);

    for (const s of [top, middle, leaf]) {
      if (!s) throw new Error('missing snapshot');
      const events = await history(s.workflowId, s.runId);
      // Each snapshot is taken in the run's last task: Completed and WorkflowTaskCompleted follow it.
      expect(s.historyLength).toBe(events.length - 2);
      const d = await describe_(s.workflowId, s.runId);
      expect(Number(d.workflowExecutionInfo?.historyLength)).toBe(events.length);
      expect(d.workflowExecutionInfo?.rootExecution).toEqual(rootExec);
      expect(s.currentBuildId).toBe(buildId);
      const completed = events.filter((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED);
      expect(completed.length).toBeGreaterThan(0);
      // SDK 1.24 sends an unversioned worker's build id as binary_checksum (a version stamp only with versioning).
      for (const e of completed) expect(e.workflowTaskCompletedEventAttributes?.binaryChecksum).toBe(buildId);
      // The started event carries the root for children (Temporal leaves it unset on a top-level run).
      const started = events[0]?.workflowExecutionStartedEventAttributes;
      if (s === top) expect(started?.rootWorkflowExecution?.workflowId ?? '').toBe('');
      else expect(started?.rootWorkflowExecution).toMatchObject(rootExec);
    }

    // The child's static summary and details, as the parent's command gave them, on the child's
    // first run (continue-as-new does not carry user metadata, on Temporal either).
    const childStarted = (await history(h.workflowId, h.firstExecutionRunId)).find((e) => e.eventType === EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED);
    const childFirstRun = childStarted?.childWorkflowExecutionStartedEventAttributes?.workflowExecution?.runId ?? '';
    expect(childFirstRun).not.toBe(middle?.runId);
    const child = await client.workflow.getHandle(`${h.workflowId}-child`, childFirstRun).describe();
    expect(await child.staticSummary()).toBe('child summary');
    expect(await child.staticDetails()).toBe('child **details**');
    const raw = await describe_(`${h.workflowId}-child`, childFirstRun);
    expect(raw.executionConfig?.userMetadata?.summary?.data?.length).toBeGreaterThan(0);
    expect(raw.workflowExecutionInfo?.rootExecution).toEqual(rootExec);
    // The continued run has none.
    expect(await (await client.workflow.getHandle(`${h.workflowId}-child`, middle?.runId).describe()).staticSummary()).toBeUndefined();
  });

  it('a top-level run continued as new is its own root', async () => {
    const h = await client.workflow.start<typeof wf.infoContinued>('infoContinued', { taskQueue: cached, workflowId: `info-can-${randomUUID()}`, args: [2] });
    const [last] = await h.result();
    expect(last?.root).toBeNull();
    expect(last?.runId).not.toBe(h.firstExecutionRunId);
    const d = await describe_(h.workflowId, last?.runId);
    expect(d.workflowExecutionInfo?.rootExecution).toEqual({ workflowId: h.workflowId, runId: last?.runId });
    const first = await describe_(h.workflowId, h.firstExecutionRunId);
    expect(first.workflowExecutionInfo?.rootExecution).toEqual({ workflowId: h.workflowId, runId: h.firstExecutionRunId });
  });

  const listIds = async (query: string): Promise<string[]> => {
    const out: string[] = [];
    for await (const w of client.workflow.list({ query })) out.push(w.workflowId);
    return out;
  };
  /** Visibility follows the run's commits asynchronously: polls List until the query lists something. */
  const listedEventually = async (query: string): Promise<string[]> => {
    for (let i = 0; i < 200; i++) {
      const ids = await listIds(query);
      if (ids.length > 0) return ids;
      await new Promise((r) => setTimeout(r, 50));
    }
    return [];
  };

  it('maintains BuildIds as Temporal does, queryable through List', async () => {
    // An SDK worker without versioning: the 'unversioned' sentinel only, as on Temporal.
    const h = await client.workflow.start<typeof wf.infoLeaf>('infoLeaf', { taskQueue: cached, workflowId: `info-bid-${randomUUID()}` });
    await h.result();
    expect((await h.describe()).searchAttributes['BuildIds']).toEqual(['unversioned']);
    expect(await listedEventually(`BuildIds = 'unversioned' AND WorkflowId = '${h.workflowId}' AND ExecutionStatus = 'Completed'`)).toEqual([h.workflowId]);

    // Completions carrying a version stamp (what a worker sends with versioning on, or without it in older SDKs).
    const queue = `info-raw-${randomUUID().slice(0, 8)}`;
    const r = await client.workflow.start<typeof wf.infoLeaf>('infoLeaf', { taskQueue: queue, workflowId: `info-raw-${randomUUID()}` });
    const ws = client.workflowService;
    const first = await ws.pollWorkflowTaskQueue({ namespace: 'default', taskQueue: { name: queue }, identity: 'raw' });
    await ws.respondWorkflowTaskCompleted({ namespace: 'default', taskToken: first.taskToken, identity: 'raw', workerVersionStamp: { buildId: 'raw-b' }, forceCreateNewWorkflowTask: true });
    expect((await r.describe()).searchAttributes['BuildIds']).toEqual(['unversioned', 'unversioned:raw-b']);
    const second = await ws.pollWorkflowTaskQueue({ namespace: 'default', taskQueue: { name: queue }, identity: 'raw' });
    await ws.respondWorkflowTaskCompleted({
      namespace: 'default',
      taskToken: second.taskToken,
      identity: 'raw',
      workerVersionStamp: { buildId: 'raw-c', useVersioning: true },
      commands: [{ commandType: temporal.api.enums.v1.CommandType.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION, completeWorkflowExecutionCommandAttributes: {} }],
    });
    await r.result();
    // A versioned completion drops the sentinel and keeps the earlier ids.
    expect((await r.describe()).searchAttributes['BuildIds']).toEqual(['unversioned:raw-b', 'versioned:raw-c']);
    const events = await history(r.workflowId, '');
    const stamps = events.filter((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED).map((e) => e.workflowTaskCompletedEventAttributes?.workerVersion?.buildId);
    expect(stamps).toEqual(['raw-b', 'raw-c']);
    // Once the closed run is visible, its final BuildIds are what List matches.
    expect(await listedEventually(`BuildIds = 'versioned:raw-c' AND WorkflowId = '${r.workflowId}' AND ExecutionStatus = 'Completed'`)).toEqual([r.workflowId]);
    expect(await listIds(`BuildIds = 'unversioned:raw-b' AND WorkflowId = '${r.workflowId}'`)).toEqual([r.workflowId]);
    expect(await listIds(`BuildIds = 'unversioned' AND WorkflowId = '${r.workflowId}'`)).toEqual([]);
  });
});
