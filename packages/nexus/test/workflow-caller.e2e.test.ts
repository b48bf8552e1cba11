import { randomUUID } from 'node:crypto';
import type { DatabaseConfig } from '@chasm/core';
import { testDatabaseConfigs } from '@chasm/core/testing';
import { matchingPlugin } from '@chasm/matching';
import { startTestServer, type TestServer } from '@chasm/runtime/testing';
import { workflowPlugin } from '@chasm/workflow';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { NativeConnection, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nexusPlugin } from '../src/index.js';
import {
  bundleCallerWorkflows,
  callerTestHandler,
  createEndpoint,
  eventually,
  eventsOf,
  EventType,
  handlerLog,
  historyOf,
  type HistoryEvent,
  nexusEventNames,
  payloadValue,
  quietRuntime,
  rawHistory,
  waitForNexusPoller,
} from './caller-helpers.js';
import type * as wf from './workflows/caller-workflows.js';
import type { FailureLink } from './workflows/caller-workflows.js';

const WorkflowTaskFailedCause = temporal.api.enums.v1.WorkflowTaskFailedCause;
const CallbackState = temporal.api.enums.v1.CallbackState;
const PendingState = temporal.api.enums.v1.PendingNexusOperationState;
const SERVICE = 'caller-test';
/** What Temporal puts around every unsuccessful outcome of a workflow's Nexus operation (NexusOperation{Failed,Canceled,TimedOut}). */
const WRAPPER_MESSAGE = 'nexus operation completed unsuccessfully';

const num = (v: unknown): number => Number(v ?? 0);
const ms = (t: temporal.api.history.v1.IHistoryEvent['eventTime']): number => num(t?.seconds) * 1000 + Math.floor(num(t?.nanos) / 1e6);
const only = (events: readonly HistoryEvent[], type: temporal.api.enums.v1.EventType): HistoryEvent => {
  const found = eventsOf(events, type);
  expect(found, `exactly one ${temporal.api.enums.v1.EventType[type]}`).toHaveLength(1);
  return found[0]!;
};

/**
 * The Nexus caller side end to end with the official SDK: caller workflows on an SDK worker
 * schedule Nexus operations (ScheduleNexusOperation / RequestCancelNexusOperation commands) on an
 * endpoint whose target is a second SDK worker's task queue; that worker hosts the Nexus service
 * (sync handlers, an async token that never completes, and WorkflowRunOperationHandler operations
 * whose handler workflows complete the operation through their completion callback). A runtime
 * that knows no feature loads matching, workflow and nexus. Each case runs with a caching caller
 * worker and with one that replays every workflow task (maxCachedWorkflows 0), on every database.
 */
describe.each(testDatabaseConfigs('nexus_caller'))('Nexus operations from workflows on $name', (db) => {
  let database: { config: DatabaseConfig; drop(): Promise<void> };
  let server: TestServer;
  let connection: Connection;
  let client: Client;
  let bundle: WorkflowBundleWithSourceMap;
  let endpointId: string;
  const run = randomUUID().slice(0, 8);
  const endpoint = `caller-${run}`;
  const handlerQueue = `nexus-handlers-${run}`;
  const stops: (() => Promise<void>)[] = [];

  const startWorker = async (taskQueue: string, options: { maxCachedWorkflows?: number; nexus?: boolean }): Promise<void> => {
    const native = await NativeConnection.connect({ address: server.address });
    const worker = await Worker.create({
      connection: native,
      namespace: 'default',
      taskQueue,
      workflowBundle: bundle,
      ...(options.nexus ? { nexusServices: [callerTestHandler] } : {}),
      ...(options.maxCachedWorkflows !== undefined ? { maxCachedWorkflows: options.maxCachedWorkflows } : {}),
      ...(options.maxCachedWorkflows === 0 ? { maxConcurrentWorkflowTaskExecutions: 2 } : {}),
    });
    const running = worker.run();
    stops.push(async () => {
      worker.shutdown();
      await running.catch(() => undefined);
      await native.close();
    });
  };

  beforeAll(async () => {
    quietRuntime();
    database = await db.open();
    [server, bundle] = await Promise.all([
      startTestServer({ plugins: [matchingPlugin, workflowPlugin, nexusPlugin], database: database.config }),
      bundleCallerWorkflows(),
    ]);
    connection = await Connection.connect({ address: server.address });
    client = new Client({ connection, namespace: 'default' });
    endpointId = await createEndpoint(connection, endpoint, handlerQueue);
    // The handler worker hosts the Nexus service and runs the handler workflows it starts.
    await startWorker(handlerQueue, { nexus: true });
    await waitForNexusPoller(connection, handlerQueue);
  }, 120_000);

  afterAll(async () => {
    for (const stop of stops.splice(0).reverse()) await stop();
    await connection?.close();
    await server?.stop();
    await database?.drop();
  }, 60_000);

  describe.each([
    { mode: 'cached', maxCachedWorkflows: undefined },
    { mode: 'cache off', maxCachedWorkflows: 0 },
  ])('with the caller worker $mode', ({ mode, maxCachedWorkflows }) => {
    const callerQueue = `nexus-callers-${run}-${mode === 'cached' ? 'c' : 'u'}`;
    const id = (name: string): string => `${name}-${mode === 'cached' ? 'c' : 'u'}-${randomUUID().slice(0, 8)}`;

    beforeAll(async () => {
      await startWorker(callerQueue, maxCachedWorkflows === undefined ? {} : { maxCachedWorkflows });
    });

    /** The caller's Scheduled event, checked against the endpoint, service and operation. */
    const scheduledOf = (events: readonly HistoryEvent[], operation: string): HistoryEvent => {
      const scheduled = only(events, EventType.EVENT_TYPE_NEXUS_OPERATION_SCHEDULED);
      const a = scheduled.nexusOperationScheduledEventAttributes!;
      expect({ endpoint: a.endpoint, endpointId: a.endpointId, service: a.service, operation: a.operation }).toEqual({ endpoint, endpointId, service: SERVICE, operation });
      expect(a.requestId, 'the server generates the Nexus request id').toBeTruthy();
      expect(num(a.workflowTaskCompletedEventId)).toBeGreaterThan(0);
      return scheduled;
    };

    /** The NexusOperationFailure at the head of `chain`, for the operation scheduled by `scheduled`. */
    const expectOperationFailure = (chain: readonly FailureLink[], operation: string, scheduled: HistoryEvent): void => {
      expect(chain.length, JSON.stringify(chain)).toBeGreaterThanOrEqual(2);
      expect(chain[0]).toMatchObject({ name: 'NexusOperationFailure', message: WRAPPER_MESSAGE, endpoint, service: SERVICE, operation });
      expect(chain[0]!.scheduledEventId).toBe(num(scheduled.eventId));
    };

    it('a sync operation: the handler result is the workflow result; history has Scheduled then Completed', async () => {
      const h = await client.workflow.start<typeof wf.callEcho>('callEcho', { taskQueue: callerQueue, workflowId: id('sync'), args: [endpoint, 'hi there'] });
      expect(await h.result()).toBe('echo: hi there');
      const events = await historyOf(h);
      expect(nexusEventNames(events)).toEqual(['NEXUS_OPERATION_SCHEDULED', 'NEXUS_OPERATION_COMPLETED']);
      const scheduled = scheduledOf(events, 'echo');
      expect(payloadValue(scheduled.nexusOperationScheduledEventAttributes!.input)).toBe('hi there');
      const completed = only(events, EventType.EVENT_TYPE_NEXUS_OPERATION_COMPLETED).nexusOperationCompletedEventAttributes!;
      expect(num(completed.scheduledEventId)).toBe(num(scheduled.eventId));
      expect(payloadValue(completed.result)).toBe('echo: hi there');
      expect(completed.requestId).toBe(scheduled.nexusOperationScheduledEventAttributes!.requestId);
      // The completion is delivered by a workflow task that follows it.
      expect(events.at(-1)?.eventType).toBe(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED);
    });

    it('an async workflow-backed operation: the handler workflow result reaches the caller; Started then Completed', async () => {
      const handlerId = id('greet-handler');
      const h = await client.workflow.start<typeof wf.callWorkflowOperation>('callWorkflowOperation', {
        taskQueue: callerQueue,
        workflowId: id('async'),
        args: [endpoint, 'Ada', handlerId],
      });
      const r = await h.result();
      expect(r.result).toBe('Hello, Ada!');
      expect(r.token, 'an async operation has a token').toBeTruthy();
      const events = await historyOf(h);
      expect(nexusEventNames(events)).toEqual(['NEXUS_OPERATION_SCHEDULED', 'NEXUS_OPERATION_STARTED', 'NEXUS_OPERATION_COMPLETED']);
      const scheduled = scheduledOf(events, 'runWorkflow');
      const requestId = scheduled.nexusOperationScheduledEventAttributes!.requestId;
      const started = only(events, EventType.EVENT_TYPE_NEXUS_OPERATION_STARTED).nexusOperationStartedEventAttributes!;
      expect(num(started.scheduledEventId)).toBe(num(scheduled.eventId));
      expect(started.operationToken).toBe(r.token);
      expect(started.requestId).toBe(requestId);
      const completed = only(events, EventType.EVENT_TYPE_NEXUS_OPERATION_COMPLETED).nexusOperationCompletedEventAttributes!;
      expect(num(completed.scheduledEventId)).toBe(num(scheduled.eventId));
      expect(payloadValue(completed.result)).toBe('Hello, Ada!');

      // The handler workflow ran under the id the handler chose, and its completion callback delivered the result.
      const handler = client.workflow.getHandle(handlerId);
      expect(await handler.result()).toBe('Hello, Ada!');
      const d = await eventually(async () => {
        const x = await handler.describe();
        return (x.raw.callbacks ?? []).every((c) => c.state === CallbackState.CALLBACK_STATE_SUCCEEDED) && x;
      }, 10_000, 'the handler workflow callback succeeded');
      expect(d.raw.callbacks ?? []).toHaveLength(1);
      // The callback was attached by the start (WorkflowExecutionStarted.completionCallbacks).
      const handlerStartedEvent = only(await historyOf(handler), EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED);
      expect(handlerStartedEvent.workflowExecutionStartedEventAttributes!.completionCallbacks ?? []).toHaveLength(1);
      // Links both ways: the handler run points at the caller's Scheduled event, the caller's Started event at the handler run.
      expect(handlerStartedEvent.links ?? []).toContainEqual(
        expect.objectContaining({
          workflowEvent: expect.objectContaining({
            namespace: 'default',
            workflowId: h.workflowId,
            eventRef: expect.objectContaining({ eventType: EventType.EVENT_TYPE_NEXUS_OPERATION_SCHEDULED }),
          }),
        }),
      );
      const schedLink = (handlerStartedEvent.links ?? []).find((l) => l.workflowEvent?.workflowId === h.workflowId)!.workflowEvent!;
      expect(num(schedLink.eventRef?.eventId)).toBe(num(scheduled.eventId));
      const startedEvent = only(events, EventType.EVENT_TYPE_NEXUS_OPERATION_STARTED);
      expect((startedEvent.links ?? []).map((l) => l.workflowEvent?.workflowId)).toContain(handlerId);
    });

    it('a handler OperationError fails the operation: NexusOperationFailure with the ApplicationFailure cause', async () => {
      const h = await client.workflow.start<typeof wf.callExpectingFailure>('callExpectingFailure', {
        taskQueue: callerQueue,
        workflowId: id('fail-sync'),
        args: [endpoint, 'failSync', { text: 'x1' }],
      });
      const chain = await h.result();
      const events = await historyOf(h);
      expect(nexusEventNames(events)).toEqual(['NEXUS_OPERATION_SCHEDULED', 'NEXUS_OPERATION_FAILED']);
      const scheduled = scheduledOf(events, 'failSync');
      expectOperationFailure(chain, 'failSync', scheduled);
      // The SDK's handler sends an OperationError as a non-retryable ApplicationFailure of type OperationError.
      expect(chain[1]).toMatchObject({ name: 'ApplicationFailure', message: 'the operation failed: x1', type: 'OperationError', nonRetryable: true });
      const failed = only(events, EventType.EVENT_TYPE_NEXUS_OPERATION_FAILED).nexusOperationFailedEventAttributes!;
      expect(num(failed.scheduledEventId)).toBe(num(scheduled.eventId));
      expect(failed.failure?.message).toBe(WRAPPER_MESSAGE);
      expect(failed.failure?.nexusOperationExecutionFailureInfo).toMatchObject({ endpoint, service: SERVICE, operation: 'failSync' });
      expect(failed.failure?.cause?.message).toBe('the operation failed: x1');
    });

    it('a handler workflow that fails with an ApplicationFailure fails the operation with it as the cause', async () => {
      const handlerId = id('failing-handler');
      const h = await client.workflow.start<typeof wf.callExpectingFailure>('callExpectingFailure', {
        taskQueue: callerQueue,
        workflowId: id('fail-wf'),
        args: [endpoint, 'failWorkflow', { message: 'handler workflow gave up', workflowId: handlerId }],
      });
      const chain = await h.result();
      const events = await historyOf(h);
      expect(nexusEventNames(events)).toEqual(['NEXUS_OPERATION_SCHEDULED', 'NEXUS_OPERATION_STARTED', 'NEXUS_OPERATION_FAILED']);
      const scheduled = scheduledOf(events, 'failWorkflow');
      expectOperationFailure(chain, 'failWorkflow', scheduled);
      const token = only(events, EventType.EVENT_TYPE_NEXUS_OPERATION_STARTED).nexusOperationStartedEventAttributes!.operationToken;
      expect(chain[0]!.operationToken).toBe(token);
      // The handler workflow's own failure is in the cause chain, message and type intact.
      expect(chain.slice(1), JSON.stringify(chain)).toContainEqual(
        expect.objectContaining({ name: 'ApplicationFailure', message: 'handler workflow gave up', type: 'HandlerWorkflowFailure' }),
      );
      expect((await client.workflow.getHandle(handlerId).describe()).status.name).toBe('FAILED');
    });

    it('a non-retryable HandlerError (BAD_REQUEST) fails the operation at once, with the HandlerError as the cause', async () => {
      const h = await client.workflow.start<typeof wf.callExpectingFailure>('callExpectingFailure', {
        taskQueue: callerQueue,
        workflowId: id('bad-request'),
        args: [endpoint, 'badRequest', { text: 'b1' }],
      });
      const chain = await h.result();
      const events = await historyOf(h);
      expect(nexusEventNames(events)).toEqual(['NEXUS_OPERATION_SCHEDULED', 'NEXUS_OPERATION_FAILED']);
      const scheduled = scheduledOf(events, 'badRequest');
      expectOperationFailure(chain, 'badRequest', scheduled);
      expect(chain[1]).toMatchObject({ name: 'HandlerError', type: 'BAD_REQUEST' });
      expect(chain[1]!.message).toContain('bad request: b1');
      const failed = only(events, EventType.EVENT_TYPE_NEXUS_OPERATION_FAILED).nexusOperationFailedEventAttributes!;
      expect(failed.failure?.cause?.nexusHandlerFailureInfo?.type).toBe('BAD_REQUEST');
    });

    it('a retryable HandlerError is retried with backoff, with the same request id, until the handler succeeds', async () => {
      const key = id('flaky');
      const h = await client.workflow.start<typeof wf.callFlaky>('callFlaky', { taskQueue: callerQueue, workflowId: id('flaky-caller'), args: [endpoint, 1, key] });
      expect(await h.result()).toBe(`recovered: ${key}`);
      const events = await historyOf(h);
      expect(nexusEventNames(events)).toEqual(['NEXUS_OPERATION_SCHEDULED', 'NEXUS_OPERATION_COMPLETED']);
      const requestId = scheduledOf(events, 'flaky').nexusOperationScheduledEventAttributes!.requestId;
      expect(handlerLog.flakyAttempts.get(key)).toEqual([requestId, requestId]);
    });

    it('an operation that never completes times out at its schedule-to-close timeout: TimeoutFailure cause, NexusOperationTimedOut', { timeout: 30_000 }, async () => {
      const text = id('t');
      const h = await client.workflow.start<typeof wf.callExpectingFailure>('callExpectingFailure', {
        taskQueue: callerQueue,
        workflowId: id('timeout'),
        args: [endpoint, 'hang', { text }, 3_000],
      });
      // While it waits, DescribeWorkflowExecution lists it as a started pending operation with the handler's token.
      const pending = await eventually(async () => {
        const p = (await h.describe()).raw.pendingNexusOperations ?? [];
        return p[0]?.state === PendingState.PENDING_NEXUS_OPERATION_STATE_STARTED && p;
      }, 3_000, 'a started pending Nexus operation');
      expect(pending).toHaveLength(1);
      expect(pending[0]).toMatchObject({ endpoint, service: SERVICE, operation: 'hang', operationToken: `hang-${text}` });
      const chain = await h.result();
      expect((await h.describe()).raw.pendingNexusOperations ?? []).toEqual([]);
      const events = await historyOf(h);
      expect(nexusEventNames(events)).toEqual(['NEXUS_OPERATION_SCHEDULED', 'NEXUS_OPERATION_STARTED', 'NEXUS_OPERATION_TIMED_OUT']);
      const scheduled = scheduledOf(events, 'hang');
      expect(num(scheduled.nexusOperationScheduledEventAttributes!.scheduleToCloseTimeout?.seconds)).toBe(3);
      expectOperationFailure(chain, 'hang', scheduled);
      expect(chain[1]).toMatchObject({ name: 'TimeoutFailure', timeoutType: 'SCHEDULE_TO_CLOSE' });
      const timedOut = only(events, EventType.EVENT_TYPE_NEXUS_OPERATION_TIMED_OUT);
      expect(num(timedOut.nexusOperationTimedOutEventAttributes!.scheduledEventId)).toBe(num(scheduled.eventId));
      expect(timedOut.nexusOperationTimedOutEventAttributes!.failure?.cause?.timeoutFailureInfo?.timeoutType).toBe(temporal.api.enums.v1.TimeoutType.TIMEOUT_TYPE_SCHEDULE_TO_CLOSE);
      // Not before the timeout (event times are the server's clock), and not much after it.
      const elapsed = ms(timedOut.eventTime) - ms(scheduled.eventTime);
      expect(elapsed).toBeGreaterThanOrEqual(2_950);
      expect(elapsed).toBeLessThan(10_000);
    });

    it('cancelling the caller scope cancels a workflow-backed operation: the handler workflow is cancelled, the caller gets a cancelled NexusOperationFailure', async () => {
      const handlerId = id('cancellable-handler');
      const h = await client.workflow.start<typeof wf.callAndCancel>('callAndCancel', { taskQueue: callerQueue, workflowId: id('cancel'), args: [endpoint, handlerId] });
      const r = await h.result();
      expect(r.token).toBeTruthy();
      const events = await historyOf(h);
      const scheduled = scheduledOf(events, 'cancellable');
      expectOperationFailure(r.failure, 'cancellable', scheduled);
      expect(r.failure[1]).toMatchObject({ name: 'CancelledFailure' });
      // WAIT_CANCELLATION_COMPLETED: the caller learnt of the cancellation from NexusOperationCanceled, after the request.
      const names = nexusEventNames(events).filter((n) => n !== 'NEXUS_OPERATION_CANCEL_REQUEST_COMPLETED');
      expect(names).toEqual(['NEXUS_OPERATION_SCHEDULED', 'NEXUS_OPERATION_STARTED', 'NEXUS_OPERATION_CANCEL_REQUESTED', 'NEXUS_OPERATION_CANCELED']);
      expect(eventsOf(events, EventType.EVENT_TYPE_NEXUS_OPERATION_CANCEL_REQUEST_COMPLETED).length).toBeLessThanOrEqual(1);
      const requested = only(events, EventType.EVENT_TYPE_NEXUS_OPERATION_CANCEL_REQUESTED).nexusOperationCancelRequestedEventAttributes!;
      expect(num(requested.scheduledEventId)).toBe(num(scheduled.eventId));
      const canceled = only(events, EventType.EVENT_TYPE_NEXUS_OPERATION_CANCELED).nexusOperationCanceledEventAttributes!;
      expect(num(canceled.scheduledEventId)).toBe(num(scheduled.eventId));
      expect(canceled.failure?.message).toBe(WRAPPER_MESSAGE);
      expect(canceled.failure?.cause?.canceledFailureInfo).toBeTruthy();

      // The handler workflow saw the cancellation (its wait was cancelled) and ended cancelled.
      const handler = client.workflow.getHandle(handlerId);
      expect((await handler.describe()).status.name).toBe('CANCELLED');
      const handlerEvents = await historyOf(handler);
      expect(eventsOf(handlerEvents, EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED)).toHaveLength(1);
      expect(handlerEvents.at(-1)?.eventType).toBe(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED);
    });
  });

  it('an operation on an endpoint that does not exist fails the workflow task with BAD_SCHEDULE_NEXUS_OPERATION_ATTRIBUTES', async () => {
    const callerQueue = `nexus-callers-${run}-bad`;
    await startWorker(callerQueue, {});
    const missing = `no-such-endpoint-${run}`;
    const workflowId = `bad-endpoint-${randomUUID().slice(0, 8)}`;
    const h: WorkflowHandle = await client.workflow.start<typeof wf.callUnknownEndpoint>('callUnknownEndpoint', { taskQueue: callerQueue, workflowId, args: [missing] });
    try {
      const failed = await eventually(
        async () => eventsOf(await rawHistory(client, workflowId), EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED)[0],
        20_000,
        'a WorkflowTaskFailed event',
      );
      const a = failed.workflowTaskFailedEventAttributes!;
      expect(WorkflowTaskFailedCause[a.cause ?? 0]).toBe('WORKFLOW_TASK_FAILED_CAUSE_BAD_SCHEDULE_NEXUS_OPERATION_ATTRIBUTES');
      expect(a.failure?.message).toContain(missing);
      // Nothing was scheduled, and the workflow is still running (the task is retried).
      const events = await rawHistory(client, workflowId);
      expect(nexusEventNames(events)).toEqual([]);
      expect((await h.describe()).status.name).toBe('RUNNING');
    } finally {
      await h.terminate('test over').catch(() => undefined);
    }
  });

  it('an input over the size limit fails the workflow task with BAD_SCHEDULE_NEXUS_OPERATION_ATTRIBUTES, nothing scheduled', async () => {
    const callerQueue = `nexus-callers-${run}-big`;
    await startWorker(callerQueue, {});
    const workflowId = `big-input-${randomUUID().slice(0, 8)}`;
    const h: WorkflowHandle = await client.workflow.start<typeof wf.callWithBigInput>('callWithBigInput', {
      taskQueue: callerQueue,
      workflowId,
      args: [endpoint, 2 * 1024 * 1024 + 100],
    });
    try {
      const failed = await eventually(
        async () => eventsOf(await rawHistory(client, workflowId), EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED)[0],
        30_000,
        'a WorkflowTaskFailed event',
      );
      const a = failed.workflowTaskFailedEventAttributes!;
      expect(WorkflowTaskFailedCause[a.cause ?? 0]).toBe('WORKFLOW_TASK_FAILED_CAUSE_BAD_SCHEDULE_NEXUS_OPERATION_ATTRIBUTES');
      expect(a.failure?.message).toContain('Input exceeds size limit');
      expect(nexusEventNames(await rawHistory(client, workflowId))).toEqual([]);
    } finally {
      await h.terminate('test over').catch(() => undefined);
    }
  });
});
