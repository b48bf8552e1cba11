import { randomUUID } from 'node:crypto';
import type { DatabaseConfig } from '@chasm/core';
import { testDatabaseConfigs } from '@chasm/core/testing';
import { matchingPlugin } from '@chasm/matching';
import { startTestServer, type TestServer } from '@chasm/runtime/testing';
import { workflowPlugin } from '@chasm/workflow';
import { Client, Connection, NexusOperationAlreadyStartedError, NexusOperationFailureError, NexusOperationIdConflictPolicy } from '@temporalio/client';
import { NativeConnection, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nexusPlugin } from '../src/index.js';
import { bundleCallerWorkflows, callerTestHandler, createEndpoint, eventually, quietRuntime, rawHistory, waitForNexusPoller } from './caller-helpers.js';
import { callerTestService } from './workflows/service.js';
import { Code, grpcError } from './helpers.js';

/**
 * Standalone Nexus operations (issue 13) with the official SDK's NexusClient: the same
 * NexusOperation component as in workflows, as its own execution. A handler worker hosts the
 * service; the client starts operations on the endpoint, waits for results, describes, lists,
 * counts, cancels and terminates them.
 */
describe.each(testDatabaseConfigs('nexus_standalone'))('standalone Nexus operations on $name', (db) => {
  let database: { config: DatabaseConfig; drop(): Promise<void> };
  let server: TestServer;
  let connection: Connection;
  let client: Client;
  let bundle: WorkflowBundleWithSourceMap;
  const run = randomUUID().slice(0, 8);
  const endpoint = `standalone-${run}`;
  const handlerQueue = `standalone-handlers-${run}`;
  let stop: (() => Promise<void>) | undefined;
  const id = (what: string): string => `${what}-${randomUUID().slice(0, 8)}`;
  const svc = () => client.nexus.createServiceClient({ endpoint, service: callerTestService });

  beforeAll(async () => {
    quietRuntime();
    database = await db.open();
    [server, bundle] = await Promise.all([startTestServer({ plugins: [matchingPlugin, workflowPlugin, nexusPlugin], database: database.config }), bundleCallerWorkflows()]);
    connection = await Connection.connect({ address: server.address });
    client = new Client({ connection, namespace: 'default' });
    await createEndpoint(connection, endpoint, handlerQueue);
    const native = await NativeConnection.connect({ address: server.address });
    const worker = await Worker.create({ connection: native, namespace: 'default', taskQueue: handlerQueue, workflowBundle: bundle, nexusServices: [callerTestHandler] });
    const running = worker.run();
    stop = async () => {
      worker.shutdown();
      await running.catch(() => undefined);
      await native.close();
    };
    await waitForNexusPoller(connection, handlerQueue);
  }, 120_000);

  afterAll(async () => {
    await stop?.();
    await connection?.close();
    await server?.stop();
    await database?.drop();
  }, 60_000);

  it('executes a sync operation and describes it as completed', async () => {
    const opId = id('sync');
    expect(await svc().executeOperation('echo', 'hi', { id: opId, scheduleToCloseTimeout: '30s' })).toBe('echo: hi');
    const d = await client.nexus.getHandle(opId).describe();
    expect(d.raw.status).toBe(2); // COMPLETED
    expect(d.raw.endpoint).toBe(endpoint);
    expect(d.raw.service).toBe('caller-test');
    expect(d.raw.operation).toBe('echo');
    expect(d.raw.attempt).toBe(1);
  });

  it('runs an async workflow-backed operation to its result; the handler workflow links back to the operation', async () => {
    const opId = id('async');
    const workflowId = id('standalone-greet');
    const handle = await svc().startOperation('waitSignal', { n: 7, workflowId }, { id: opId, scheduleToCloseTimeout: '60s' });
    // While the handler workflow waits: RUNNING, and STARTED once the handler returned its token.
    const running = await eventually(async () => {
      const r = (await handle.describe()).raw;
      return r.state === 3 ? r : undefined; // PENDING_NEXUS_OPERATION_STATE_STARTED
    }, 20_000, 'the operation started');
    expect(running.status).toBe(1); // RUNNING
    expect(running.operationToken).not.toBe('');
    await eventually(async () => (await client.workflow.getHandle(workflowId).describe()).status.name === 'RUNNING', 20_000, 'the handler workflow running');
    await client.workflow.getHandle(workflowId).signal<[]>('release');
    expect(await handle.result()).toBe('done-7');
    const d = await handle.describe();
    expect(d.raw.status).toBe(2); // COMPLETED
    expect(d.raw.operationToken).not.toBe('');
    // The handler's run keeps the caller link on its started event, and the operation keeps the run's.
    const history = await rawHistory(client, workflowId);
    const links = history[0]?.links ?? [];
    expect(links.some((l) => l.nexusOperation?.operationId === opId)).toBe(true);
    expect(d.raw.links?.some((l) => l.workflowEvent?.workflowId === workflowId)).toBe(true);
  });

  it('surfaces an operation failure as NexusOperationFailureError', async () => {
    const err = await svc()
      .executeOperation('failSync', 'boom', { id: id('fail'), scheduleToCloseTimeout: '30s' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NexusOperationFailureError);
    expect(String((err as NexusOperationFailureError).cause?.message)).toContain('the operation failed: boom');
  });

  it('refuses a second start with the same id while running (FAIL), and dedups the same request id', async () => {
    const opId = id('dup');
    const handle = await svc().startOperation('hang', 'x', { id: opId, scheduleToCloseTimeout: '60s' });
    await expect(svc().startOperation('hang', 'y', { id: opId, scheduleToCloseTimeout: '60s' })).rejects.toBeInstanceOf(NexusOperationAlreadyStartedError);
    await handle.terminate('done');
    const d = await handle.describe();
    expect(d.raw.status).toBe(5); // TERMINATED
  });

  it('cancels a started operation: the handler gets the cancel request', async () => {
    const opId = id('cancel');
    const workflowId = id('standalone-cancellable');
    const handle = await svc().startOperation('cancellable', { workflowId }, { id: opId, scheduleToCloseTimeout: '60s' });
    await eventually(async () => (await handle.describe()).raw.operationToken, 20_000, 'the operation started');
    await handle.cancel('no longer needed');
    const err = await handle.result().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NexusOperationFailureError);
    const d = await handle.describe();
    expect(d.raw.status).toBe(4); // CANCELED
    expect(d.raw.cancellationInfo?.reason).toBe('no longer needed');
    // The handler workflow got the cancel request and ended cancelled.
    await eventually(
      async () => (await client.workflow.getHandle(workflowId).describe()).status.name === 'CANCELLED',
      20_000,
      'the handler workflow cancelled',
    );
  });

  it('returns the running operation for a second start with the same id under USE_EXISTING', async () => {
    const opId = id('use-existing');
    const first = await svc().startOperation('hang', 'x', { id: opId, scheduleToCloseTimeout: '60s' });
    expect(first.runId).toBeTruthy();
    const second = await svc().startOperation('hang', 'y', {
      id: opId,
      scheduleToCloseTimeout: '60s',
      idConflictPolicy: NexusOperationIdConflictPolicy.USE_EXISTING,
    });
    expect(second.runId).toBe(first.runId);
    expect((await second.describe()).raw.status).toBe(1); // RUNNING
    await first.terminate('done');
    expect((await first.describe()).raw.status).toBe(5); // TERMINATED
  });

  it('times out at schedule-to-close when the handler never completes', async () => {
    const handle = await svc().startOperation('hang', 'forever', { id: id('timeout'), scheduleToCloseTimeout: '3s' });
    const err = await handle.result().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NexusOperationFailureError);
    expect((await handle.describe()).raw.status).toBe(6); // TIMED_OUT
  });

  it('lists and counts by query, with GROUP BY ExecutionStatus', async () => {
    const opId = id('listed');
    await svc().executeOperation('echo', 'listed', { id: opId, scheduleToCloseTimeout: '30s' });
    const found = await eventually(async () => {
      const out = [];
      for await (const o of client.nexus.list({ query: `OperationId = '${opId}'` })) out.push(o);
      return out.length === 1 ? out : undefined;
    });
    expect(found[0]?.operationId).toBe(opId);
    const count = await client.nexus.count(`Endpoint = '${endpoint}' AND ExecutionStatus = 'Completed'`);
    expect(count.count).toBeGreaterThanOrEqual(2);
    const grouped = await connection.workflowService.countNexusOperationExecutions({ namespace: 'default', query: 'GROUP BY ExecutionStatus' });
    expect((grouped.groups ?? []).length).toBeGreaterThan(0);
  });

  it('refuses bad input before storing anything, and deletes an operation', async () => {
    const req = { namespace: 'default', operationId: id('bad'), endpoint, service: 'caller-test', operation: 'echo', requestId: randomUUID() };
    await grpcError(() => connection.workflowService.startNexusOperationExecution({ ...req, operationId: '' }), Code.INVALID_ARGUMENT);
    await grpcError(() => connection.workflowService.startNexusOperationExecution({ ...req, endpoint: 'no-such-endpoint' }), Code.NOT_FOUND);
    await grpcError(() => connection.workflowService.startNexusOperationExecution({ ...req, nexusHeader: { 'Request-Timeout': '1s' } }), Code.INVALID_ARGUMENT);
    await grpcError(
      () => connection.workflowService.startNexusOperationExecution({ ...req, input: { metadata: {}, data: new Uint8Array(3 * 1024 * 1024) } }),
      Code.INVALID_ARGUMENT,
    );
    await grpcError(() => connection.workflowService.pollNexusOperationExecution({ namespace: 'default', operationId: req.operationId, waitStage: 9 as never }), Code.INVALID_ARGUMENT);
    await grpcError(() => connection.workflowService.describeNexusOperationExecution({ namespace: 'default', operationId: req.operationId }), Code.NOT_FOUND);
    const opId = id('deleted');
    await svc().executeOperation('echo', 'bye', { id: opId, scheduleToCloseTimeout: '30s' });
    await connection.workflowService.deleteNexusOperationExecution({ namespace: 'default', operationId: opId });
    await grpcError(() => connection.workflowService.describeNexusOperationExecution({ namespace: 'default', operationId: opId }), Code.NOT_FOUND);
  });
});
