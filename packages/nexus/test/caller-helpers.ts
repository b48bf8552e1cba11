import { fileURLToPath } from 'node:url';
import type { Client, Connection, WorkflowHandle } from '@temporalio/client';
import { startWorkflow, WorkflowRunOperationHandler } from '@temporalio/nexus';
import { temporal } from '@temporalio/proto';
import { eventually } from '@chasm/core/testing';
import { bundleWorkflowCode, DefaultLogger, Runtime, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import * as nexus from 'nexus-rpc';
import type * as wf from './workflows/caller-workflows.js';
import { callerTestService } from './workflows/service.js';

export const EventType = temporal.api.enums.v1.EventType;
export type HistoryEvent = temporal.api.history.v1.IHistoryEvent;
const NEXUS_TASK_QUEUE_TYPE = temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_NEXUS;

let runtimeInstalled = false;

/** Keeps core and the TS runtime quiet (errors only); once per process. */
export function quietRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  Runtime.install({ logger: new DefaultLogger('ERROR'), telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' } } } });
}

/** The caller and handler workflows (test/workflows/caller-workflows.ts), bundled once per file. */
export async function bundleCallerWorkflows(): Promise<WorkflowBundleWithSourceMap> {
  return bundleWorkflowCode({
    workflowsPath: fileURLToPath(new URL('./workflows/caller-workflows.ts', import.meta.url)),
    logger: new DefaultLogger('ERROR'),
  });
}

/** What the handler side did, for the tests to check. */
export const handlerLog = {
  /** Start calls of `waitSignal`, by handler workflow id (retries after a crash count again). */
  waitSignalStarts: new Map<string, number>(),
  /** Attempts of `flaky`, by key: the Nexus request id each came with. */
  flakyAttempts: new Map<string, string[]>(),
  /** Cancel calls of `hang`, by token. */
  hangCancels: [] as string[],
};

/**
 * The handler implementation of `callerTestService`, hosted by the handler worker: sync
 * operations, workflow-backed async operations (WorkflowRunOperationHandler + startWorkflow, which
 * attach the caller's completion callback to the started workflow), and an async operation whose
 * token never completes.
 */
export const callerTestHandler = nexus.serviceHandler(callerTestService, {
  async echo(_ctx, input) {
    return `echo: ${input}`;
  },
  runWorkflow: new WorkflowRunOperationHandler<{ name: string; workflowId: string }, string>((ctx, input) =>
    startWorkflow<typeof wf.greetHandler>(ctx, 'greetHandler', { workflowId: input.workflowId, args: [input.name] }),
  ),
  async failSync(_ctx, input) {
    throw new nexus.OperationError('failed', `the operation failed: ${input}`);
  },
  failWorkflow: new WorkflowRunOperationHandler<{ message: string; workflowId: string }, string>((ctx, input) =>
    startWorkflow<typeof wf.failingHandler>(ctx, 'failingHandler', { workflowId: input.workflowId, args: [input.message] }),
  ),
  async badRequest(_ctx, input) {
    throw new nexus.HandlerError('BAD_REQUEST', `bad request: ${input}`);
  },
  async flaky(ctx, input) {
    const attempts = [...(handlerLog.flakyAttempts.get(input.key) ?? []), ctx.requestId];
    handlerLog.flakyAttempts.set(input.key, attempts);
    const attempt = attempts.length;
    if (attempt <= input.failures) throw new nexus.HandlerError('INTERNAL', `attempt ${attempt} failed`, { retryableOverride: true });
    return `recovered: ${input.key}`;
  },
  hang: {
    async start(_ctx, input) {
      return nexus.HandlerStartOperationResult.async(`hang-${input}`);
    },
    async cancel(_ctx, token) {
      handlerLog.hangCancels.push(token);
    },
  },
  cancellable: new WorkflowRunOperationHandler<{ workflowId: string }, string>((ctx, input) =>
    startWorkflow<typeof wf.cancellableHandler>(ctx, 'cancellableHandler', { workflowId: input.workflowId }),
  ),
  waitSignal: new WorkflowRunOperationHandler<{ n: number; workflowId: string }, string>((ctx, input) => {
    handlerLog.waitSignalStarts.set(input.workflowId, (handlerLog.waitSignalStarts.get(input.workflowId) ?? 0) + 1);
    return startWorkflow<typeof wf.signalledHandler>(ctx, 'signalledHandler', { workflowId: input.workflowId, args: [input.n] });
  }),
});

// The one polling wait of the test suites; callers pass (fn, timeoutMs, what).
export { eventually };

/** Waits until a worker's Nexus poller reached matching on `taskQueue`. */
export async function waitForNexusPoller(connection: Connection, taskQueue: string): Promise<void> {
  await eventually(
    async () => {
      const d = await connection.workflowService.describeTaskQueue({ namespace: 'default', taskQueue: { name: taskQueue }, taskQueueType: NEXUS_TASK_QUEUE_TYPE });
      return (d.pollers ?? []).length > 0;
    },
    20_000,
    `a Nexus poller on ${taskQueue}`,
  );
}

/** Creates a worker-target endpoint (namespace `default`) and returns its id. */
export async function createEndpoint(connection: Connection, name: string, taskQueue: string): Promise<string> {
  const res = await connection.operatorService.createNexusEndpoint({ spec: { name, target: { worker: { namespace: 'default', taskQueue } } } });
  return res.endpoint!.id!;
}

export async function historyOf(handle: WorkflowHandle): Promise<HistoryEvent[]> {
  return (await handle.fetchHistory()).events ?? [];
}

/** The raw history of a workflow (all pages), without the SDK's history iterator. */
export async function rawHistory(client: Client, workflowId: string, runId?: string): Promise<HistoryEvent[]> {
  const out: HistoryEvent[] = [];
  let nextPageToken: Uint8Array | undefined;
  for (let pages = 0; pages < 100; pages++) {
    const res = await client.workflowService.getWorkflowExecutionHistory({
      namespace: 'default',
      execution: { workflowId, ...(runId ? { runId } : {}) },
      ...(nextPageToken ? { nextPageToken } : {}),
    });
    out.push(...(res.history?.events ?? []));
    if (!res.nextPageToken?.length) return out;
    nextPageToken = res.nextPageToken;
  }
  throw new Error('history paging did not end');
}

/** The event types of `events` that are Nexus operation events, in order, by name (without the EVENT_TYPE_ prefix). */
export function nexusEventNames(events: readonly HistoryEvent[]): string[] {
  return events
    .map((e) => EventType[e.eventType ?? 0] ?? String(e.eventType))
    .filter((n) => n.startsWith('EVENT_TYPE_NEXUS_OPERATION_'))
    .map((n) => n.slice('EVENT_TYPE_'.length));
}

export function eventsOf(events: readonly HistoryEvent[], type: temporal.api.enums.v1.EventType): HistoryEvent[] {
  return events.filter((e) => e.eventType === type);
}

const dec = new TextDecoder();
/** A json/plain payload's value. */
export function payloadValue(p: temporal.api.common.v1.IPayload | null | undefined): unknown {
  return JSON.parse(dec.decode(p?.data ?? new Uint8Array()));
}
