import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { temporal } from '@temporalio/proto';
import { testDatabaseConfigs } from '@chasm/core/testing';
import { startTestServer, type TestServer } from '@chasm/runtime/testing';
import { matchingPlugin } from '@chasm/matching';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activities, bundleTestWorkflows, quietRuntime, until } from './e2e-helpers.js';
import type * as wf from './workflows/index.js';
import { workflowPlugin } from '../src/index.js';

const ET = temporal.api.enums.v1.EventType;
const Status = temporal.api.enums.v1.WorkflowExecutionStatus;
const Code = { INVALID_ARGUMENT: 3, NOT_FOUND: 5, FAILED_PRECONDITION: 9 };

/** The gRPC status code and message of a refused call. */
async function refusal(p: Promise<unknown>): Promise<{ code: number; message: string }> {
  try {
    await p;
  } catch (e) {
    const err = e as { code?: number; details?: string; message?: string };
    return { code: err.code ?? -1, message: err.details ?? err.message ?? '' };
  }
  throw new Error('call succeeded but was expected to fail');
}

/**
 * Issue 11: PauseWorkflowExecution / UnpauseWorkflowExecution (no workflow task while paused,
 * the held one on unpause) and UpdateWorkflowExecutionOptions (versioning override stored,
 * described and recorded), through the official SDK's raw WorkflowService calls.
 */
describe.each(testDatabaseConfigs('chasm_wf_opts'))('workflow pause and options on $name', (dialect) => {
  let server: TestServer;
  let client: Client;
  let native: NativeConnection;
  let drop: (() => Promise<void>) | undefined;
  let worker: Worker;
  let running: Promise<void>;
  const taskQueue = `opts-${randomUUID().slice(0, 8)}`;
  const namespace = 'default';

  beforeAll(async () => {
    quietRuntime();
    const db = await dialect.open();
    drop = db.drop;
    const [s, bundle] = await Promise.all([startTestServer({ plugins: [matchingPlugin, workflowPlugin], database: db.config }), bundleTestWorkflows()]);
    server = s;
    client = new Client({ connection: await Connection.connect({ address: server.address }) });
    native = await NativeConnection.connect({ address: server.address });
    worker = await Worker.create({ connection: native, namespace, taskQueue, workflowBundle: bundle, activities });
    running = worker.run();
  });
  afterAll(async () => {
    worker?.shutdown();
    await running;
    await native?.close();
    await client?.connection.close();
    await server?.stop();
    await drop?.();
  });

  const events = async (workflowId: string) => {
    const h = await client.workflowService.getWorkflowExecutionHistory({ namespace, execution: { workflowId } });
    return h.history?.events ?? [];
  };
  const types = async (workflowId: string) => (await events(workflowId)).map((e) => e.eventType);
  const describeRun = (workflowId: string) => client.workflowService.describeWorkflowExecution({ namespace, execution: { workflowId } });
  /** Starts `echoSignals` and waits until its first workflow task completed (it now waits on signals). */
  const startIdle = async (prefix: string) => {
    const workflowId = `${prefix}-${randomUUID().slice(0, 8)}`;
    const h = await client.workflow.start<typeof wf.echoSignals>('echoSignals', { taskQueue, workflowId });
    await until('the first workflow task to complete', async () => ((await types(workflowId)).includes(ET.EVENT_TYPE_WORKFLOW_TASK_COMPLETED) ? true : undefined));
    return { h, workflowId };
  };

  it('a paused run gets no workflow task for a signal until unpaused, then completes; Describe shows the pause', async () => {
    const { h, workflowId } = await startIdle('paused');
    await client.workflowService.pauseWorkflowExecution({ namespace, workflowId, identity: 'operator', reason: 'maintenance', requestId: 'p-1' });
    // A second pause is accepted and changes nothing (Temporal: no-op).
    await client.workflowService.pauseWorkflowExecution({ namespace, workflowId, identity: 'other', reason: 'again' });

    const d = await describeRun(workflowId);
    // Temporal 1.29+: a paused run is reported PAUSED (still open).
    expect(d.workflowExecutionInfo?.status).toBe(Status.WORKFLOW_EXECUTION_STATUS_PAUSED);
    const info = d.workflowExtendedInfo?.pauseInfo;
    expect(info?.identity).toBe('operator');
    expect(info?.reason).toBe('maintenance');
    expect(Number(info?.pausedTime?.seconds)).toBeGreaterThan(0);

    await h.signal('echo', 'stop');
    // Synchronise on a poll cycle: another workflow on the same queue starts and completes.
    expect(await client.workflow.execute<typeof wf.quick>('quick', { taskQueue, workflowId: `quick-${randomUUID().slice(0, 8)}` })).toBe('done');

    const held = await events(workflowId);
    const paused = held.filter((e) => e.eventType === ET.EVENT_TYPE_WORKFLOW_EXECUTION_PAUSED);
    expect(paused).toHaveLength(1);
    expect(paused[0]?.workflowExecutionPausedEventAttributes).toMatchObject({ identity: 'operator', reason: 'maintenance', requestId: 'p-1' });
    // The worker has no state machine for it: marked ignorable, as Temporal does.
    expect(paused[0]?.workerMayIgnore).toBe(true);
    const signaledAt = held.findIndex((e) => e.eventType === ET.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED);
    expect(signaledAt).toBeGreaterThan(0);
    const after = held.slice(signaledAt + 1).map((e) => e.eventType);
    expect(after).not.toContain(ET.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED);
    expect(after).not.toContain(ET.EVENT_TYPE_WORKFLOW_TASK_STARTED);
    expect((await describeRun(workflowId)).pendingWorkflowTask).toBeFalsy();

    await client.workflowService.unpauseWorkflowExecution({ namespace, workflowId, identity: 'operator', reason: 'done' });
    expect(await h.result()).toEqual(['stop']);

    const all = await events(workflowId);
    const unpausedAt = all.findIndex((e) => e.eventType === ET.EVENT_TYPE_WORKFLOW_EXECUTION_UNPAUSED);
    expect(unpausedAt).toBeGreaterThan(signaledAt);
    expect(all[unpausedAt]?.workflowExecutionUnpausedEventAttributes).toMatchObject({ identity: 'operator', reason: 'done' });
    expect(all[unpausedAt + 1]?.eventType).toBe(ET.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED);
    const done = await describeRun(workflowId);
    expect(done.workflowExtendedInfo?.pauseInfo).toBeFalsy();
    expect(done.workflowExecutionInfo?.status).toBe(Status.WORKFLOW_EXECUTION_STATUS_COMPLETED);
  });

  it('pause and unpause errors: missing workflow_id, unknown run, unpause of a run not paused, closed run', async () => {
    const missing = await refusal(client.workflowService.pauseWorkflowExecution({ namespace, workflowId: '' }));
    expect(missing.code).toBe(Code.INVALID_ARGUMENT);
    expect(missing.message).toContain('workflow_id');
    expect((await refusal(client.workflowService.unpauseWorkflowExecution({ namespace }))).code).toBe(Code.INVALID_ARGUMENT);
    expect((await refusal(client.workflowService.pauseWorkflowExecution({ namespace, workflowId: `nope-${randomUUID()}` }))).code).toBe(Code.NOT_FOUND);

    const { h, workflowId } = await startIdle('notpaused');
    const notPaused = await refusal(client.workflowService.unpauseWorkflowExecution({ namespace, workflowId }));
    expect(notPaused.code).toBe(Code.FAILED_PRECONDITION);
    expect(await types(workflowId)).not.toContain(ET.EVENT_TYPE_WORKFLOW_EXECUTION_UNPAUSED);

    await h.signal('echo', 'stop');
    await h.result();
    expect((await refusal(client.workflowService.pauseWorkflowExecution({ namespace, workflowId }))).code).toBe(Code.NOT_FOUND);
  });

  it('UpdateWorkflowExecutionOptions sets, repeats and clears the versioning override, with events and Describe', async () => {
    const { h, workflowId } = await startIdle('options');
    const pinned = {
      pinned: {
        behavior: temporal.api.workflow.v1.VersioningOverride.PinnedOverrideBehavior.PINNED_OVERRIDE_BEHAVIOR_PINNED,
        version: { deploymentName: 'orders', buildId: 'b-1' },
      },
    };
    const set = await client.workflowService.updateWorkflowExecutionOptions({
      namespace,
      workflowExecution: { workflowId },
      workflowExecutionOptions: { versioningOverride: pinned },
      updateMask: { paths: ['versioning_override'] },
      identity: 'operator',
    });
    expect(set.workflowExecutionOptions?.versioningOverride?.pinned?.version).toMatchObject({ deploymentName: 'orders', buildId: 'b-1' });
    expect(Number(set.updateTime?.seconds)).toBeGreaterThan(0);

    const d = await describeRun(workflowId);
    expect(d.workflowExecutionInfo?.versioningInfo?.versioningOverride?.pinned?.version?.buildId).toBe('b-1');

    // The same value again writes no second event.
    await client.workflowService.updateWorkflowExecutionOptions({
      namespace,
      workflowExecution: { workflowId },
      workflowExecutionOptions: { versioningOverride: pinned },
      updateMask: { paths: ['versioning_override'] },
    });
    let updated = (await events(workflowId)).filter((e) => e.eventType === ET.EVENT_TYPE_WORKFLOW_EXECUTION_OPTIONS_UPDATED);
    expect(updated).toHaveLength(1);
    expect(updated[0]?.workflowExecutionOptionsUpdatedEventAttributes?.versioningOverride?.pinned?.version?.buildId).toBe('b-1');
    expect(updated[0]?.workflowExecutionOptionsUpdatedEventAttributes?.identity).toBe('operator');

    // The mask names the field but the options leave it unset: the override is cleared.
    const cleared = await client.workflowService.updateWorkflowExecutionOptions({
      namespace,
      workflowExecution: { workflowId },
      workflowExecutionOptions: {},
      updateMask: { paths: ['versioning_override'] },
    });
    expect(cleared.workflowExecutionOptions?.versioningOverride).toBeFalsy();
    updated = (await events(workflowId)).filter((e) => e.eventType === ET.EVENT_TYPE_WORKFLOW_EXECUTION_OPTIONS_UPDATED);
    expect(updated).toHaveLength(2);
    expect(updated[1]?.workflowExecutionOptionsUpdatedEventAttributes?.unsetVersioningOverride).toBe(true);
    expect((await describeRun(workflowId)).workflowExecutionInfo?.versioningInfo?.versioningOverride).toBeFalsy();

    // The run is unaffected by the events: it still completes.
    await h.signal('echo', 'stop');
    expect(await h.result()).toEqual(['stop']);
  });

  it('UpdateWorkflowExecutionOptions refuses a bad request naming the field, storing nothing', async () => {
    const { h, workflowId } = await startIdle('badopts');
    const call = (req: Partial<temporal.api.workflowservice.v1.IUpdateWorkflowExecutionOptionsRequest>) =>
      refusal(client.workflowService.updateWorkflowExecutionOptions({ namespace, workflowExecution: { workflowId }, ...req }));
    const options = { versioningOverride: { autoUpgrade: true } };

    const noMask = await call({ workflowExecutionOptions: options });
    expect(noMask.code).toBe(Code.INVALID_ARGUMENT);
    expect(noMask.message).toContain('update_mask');
    const badPath = await call({ workflowExecutionOptions: options, updateMask: { paths: ['no_such_option'] } });
    expect(badPath.code).toBe(Code.INVALID_ARGUMENT);
    expect(badPath.message).toContain('update_mask');
    const noOptions = await call({ updateMask: { paths: ['versioning_override'] } });
    expect(noOptions.code).toBe(Code.INVALID_ARGUMENT);
    expect(noOptions.message).toContain('workflow_execution_options');
    const noId = await refusal(
      client.workflowService.updateWorkflowExecutionOptions({ namespace, workflowExecution: {}, workflowExecutionOptions: options, updateMask: { paths: ['versioning_override'] } }),
    );
    expect(noId.code).toBe(Code.INVALID_ARGUMENT);
    expect(noId.message).toContain('workflow_id');
    const unknown = await refusal(
      client.workflowService.updateWorkflowExecutionOptions({
        namespace,
        workflowExecution: { workflowId: `nope-${randomUUID()}` },
        workflowExecutionOptions: options,
        updateMask: { paths: ['versioning_override'] },
      }),
    );
    expect(unknown.code).toBe(Code.NOT_FOUND);

    expect(await types(workflowId)).not.toContain(ET.EVENT_TYPE_WORKFLOW_EXECUTION_OPTIONS_UPDATED);
    expect((await describeRun(workflowId)).workflowExecutionInfo?.versioningInfo?.versioningOverride).toBeFalsy();
    await h.signal('echo', 'stop');
    await h.result();
  });
});
