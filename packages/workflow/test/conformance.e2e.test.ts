import { randomUUID } from 'node:crypto';
import { Client, Connection, WorkflowContinuedAsNewError } from '@temporalio/client';
import { NativeConnection, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { testDatabaseConfigs } from '@chasm/core/testing';
import { startTestServer, type TestServer } from '@chasm/runtime/testing';
import { matchingPlugin } from '@chasm/matching';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activities, bundleTestWorkflows, quietRuntime } from './e2e-helpers.js';
import type * as wf from './workflows/index.js';
import { workflowPlugin } from '../src/index.js';

/**
 * Workflow conformance items of issue 11, through the SDK: continue-as-new as the client sees it
 * (result() with and without followRuns, a hop to another type and queue) and activity timeouts.
 */
describe.each(testDatabaseConfigs('chasm_wf_conformance'))('workflow conformance through the SDK on $name', (dialect) => {
  let server: TestServer;
  let bundle: WorkflowBundleWithSourceMap;
  let client: Client;
  let native: NativeConnection;
  let drop: (() => Promise<void>) | undefined;
  const workers: { worker: Worker; running: Promise<void> }[] = [];
  const queueA = `can-a-${randomUUID().slice(0, 8)}`;
  const queueB = `can-b-${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    quietRuntime();
    const db = await dialect.open();
    drop = db.drop;
    [server, bundle] = await Promise.all([startTestServer({ plugins: [matchingPlugin, workflowPlugin], database: db.config }), bundleTestWorkflows()]);
    client = new Client({ connection: await Connection.connect({ address: server.address }) });
    native = await NativeConnection.connect({ address: server.address });
    // Queue A's worker caches workflows, queue B's does not: the hop crosses both modes.
    for (const [taskQueue, maxCachedWorkflows] of [[queueA, 100], [queueB, 0]] as const) {
      const worker = await Worker.create({ connection: native, namespace: 'default', taskQueue, workflowBundle: bundle, activities, maxCachedWorkflows, ...(maxCachedWorkflows === 0 ? { maxConcurrentWorkflowTaskExecutions: 2 } : {}) });
      workers.push({ worker, running: worker.run() });
    }
  });
  afterAll(async () => {
    for (const w of workers) w.worker.shutdown();
    await Promise.all(workers.map((w) => w.running));
    await native?.close();
    await client?.connection.close();
    await server?.stop();
    await drop?.();
  });

  it.each([
    ['cached', () => queueA],
    ['cache off', () => queueB],
  ])('result() on a %s worker: without followRuns raises WorkflowContinuedAsNewError naming the next run; with followRuns it reaches the last run', async (_mode, queue) => {
    const h = await client.workflow.start<typeof wf.chain>('chain', { taskQueue: queue(), workflowId: `chain-${randomUUID()}`, args: [0] });
    const err = await client.workflow.getHandle(h.workflowId, h.firstExecutionRunId, { followRuns: false }).result().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowContinuedAsNewError);
    const next = (err as WorkflowContinuedAsNewError).newExecutionRunId;
    expect(next).toMatch(/^[0-9a-f-]{36}$/);
    expect(next).not.toBe(h.firstExecutionRunId);
    expect(await client.workflow.getHandle(h.workflowId, h.firstExecutionRunId, { followRuns: true }).result()).toBe(30);
    expect(await h.result()).toBe(30);
  });

  it('continues as another workflow type on another task queue, which runs it there', async () => {
    const h = await client.workflow.start<typeof wf.hop>('hop', { taskQueue: queueA, workflowId: `hop-${randomUUID()}`, args: [queueB] });
    expect(await h.result()).toBe(`landed on ${queueB} (asked for ${queueB})`);
    const d = await client.workflow.getHandle(h.workflowId).describe();
    expect(d.type).toBe('landed');
    expect(d.taskQueue).toBe(queueB);
  });

  // Issue 11: without a schedule-to-close (start-to-close set, no run timeout) the
  // schedule-to-start timer was never armed, and an unpolled activity waited forever.
  it('an activity nobody polls times out with SCHEDULE_TO_START', async () => {
    const r = await client.workflow.execute<typeof wf.unpolledActivity>('unpolledActivity', {
      taskQueue: queueA,
      workflowId: `s2s-${randomUUID()}`,
      args: [`nobody-${randomUUID().slice(0, 8)}`],
    });
    expect(r).toBe('timed out: SCHEDULE_TO_START');
  });

  // Issue 11: search attribute payloads come back stamped with their registered type, so a
  // Datetime set through the untyped option is a Date again (client and workflow), not a string.
  it('stamps search attributes with their registered types: Describe, List, the started event and upserts', async () => {
    const DATETIME = 6; // temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_DATETIME
    await client.connection.operatorService.addSearchAttributes({
      namespace: 'default',
      searchAttributes: { CustomDatetimeField: DATETIME, CustomDatetimeField2: DATETIME },
    });
    const when = new Date('2026-01-02T03:04:05.000Z');
    const workflowId = `sa-types-${randomUUID()}`;
    const h = await client.workflow.start<typeof wf.datetimeAttributes>('datetimeAttributes', {
      taskQueue: queueA,
      workflowId,
      args: ['2026-02-03T04:05:06.000Z'],
      searchAttributes: { CustomDatetimeField: [when] },
    });
    // Inside the workflow: the started event's attribute and the upserted one are Dates.
    expect(await h.result()).toEqual({ startedIsDate: true, upsertedIsDate: true });
    const d = await h.describe();
    const raw = d.raw.workflowExecutionInfo?.searchAttributes?.indexedFields ?? {};
    const typeOf = (name: string): string => new TextDecoder().decode(raw[name]?.metadata?.['type'] ?? new Uint8Array());
    expect(typeOf('CustomDatetimeField')).toBe('Datetime');
    expect(typeOf('CustomDatetimeField2')).toBe('Datetime');
    expect(d.searchAttributes['CustomDatetimeField']).toEqual([when]);
    // The started event in the history carries the type too.
    const history = await h.fetchHistory();
    const started = history.events?.[0]?.workflowExecutionStartedEventAttributes?.searchAttributes?.indexedFields ?? {};
    expect(new TextDecoder().decode(started['CustomDatetimeField']?.metadata?.['type'] ?? new Uint8Array())).toBe('Datetime');
    // List: typed as well.
    let listed: unknown;
    for (let i = 0; i < 100 && listed === undefined; i++) {
      for await (const w of client.workflow.list({ query: `WorkflowId = '${workflowId}' AND ExecutionStatus = 'Completed'` })) listed = w.searchAttributes['CustomDatetimeField'];
      if (listed === undefined) await new Promise((r) => setTimeout(r, 100));
    }
    expect(listed).toEqual([when]);
  });
});
