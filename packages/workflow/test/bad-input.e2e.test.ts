import { randomUUID } from 'node:crypto';
import { Connection } from '@temporalio/client';
import { type google, temporal } from '@temporalio/proto';
import { internalCallback } from '@chasm/core';
import { testDatabaseConfigs } from '@chasm/core/testing';
import { startTestServer, type TestServer } from '@chasm/runtime/testing';
import { matchingPlugin } from '@chasm/matching';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workflowPlugin } from '../src/index.js';

/**
 * Bad input at the front door (issue 15): every case answers INVALID_ARGUMENT naming the field,
 * and stores nothing. Raw WorkflowService calls, since the SDK client checks some of these itself.
 */

type StartReq = temporal.api.workflowservice.v1.IStartWorkflowExecutionRequest;
type SignalWithStartReq = temporal.api.workflowservice.v1.ISignalWithStartWorkflowExecutionRequest;
type SignalReq = temporal.api.workflowservice.v1.ISignalWorkflowExecutionRequest;

const { CommandType, EventType, WorkflowTaskFailedCause } = temporal.api.enums.v1;
const namespace = 'default';
const taskQueue = 'bad-input';
const MiB = 1024 * 1024;
const utf8 = new TextEncoder();

/** A Duration; int64 seconds as a number or, past 2^53, a decimal string (protobufjs encodes both). */
const seconds = (s: number | string, nanos = 0): google.protobuf.IDuration => ({ seconds: s as unknown as NonNullable<google.protobuf.IDuration['seconds']>, nanos });
const big = (bytes: number): temporal.api.common.v1.IPayload => ({ metadata: { encoding: utf8.encode('binary/plain') }, data: new Uint8Array(bytes) });
const NUL = 'a\u0000b';
const x = (n: number): string => 'x'.repeat(n);
const internal = internalCallback({ namespaceId: 'ns', archetype: 'test.receiver', businessId: 'b', runId: 'r', data: 'd' });
const https = { url: 'https://example.com/callback', header: {} };

type Case =
  | { readonly rpc: 'start'; readonly name: string; readonly field: string; readonly req: Partial<StartReq> }
  | { readonly rpc: 'signalWithStart'; readonly name: string; readonly field: string; readonly req: Partial<SignalWithStartReq> }
  | { readonly rpc: 'signal'; readonly name: string; readonly field: string; readonly req: Partial<SignalReq> };

const start = (name: string, field: string, req: Partial<StartReq>): Case => ({ rpc: 'start', name, field, req });
const sws = (name: string, field: string, req: Partial<SignalWithStartReq>): Case => ({ rpc: 'signalWithStart', name, field, req });
const signal = (name: string, field: string, req: Partial<SignalReq>): Case => ({ rpc: 'signal', name, field, req });

const cases: Case[] = [
  // identifiers
  start('no workflow id', 'workflow_id', { workflowId: '' }),
  start('a workflow id over 1000 bytes', 'workflow_id', { workflowId: x(1001) }),
  start('a workflow id over 1000 bytes in UTF-8 (600 two-byte chars)', 'workflow_id', { workflowId: 'é'.repeat(600) }),
  start('a NUL in the workflow id', 'workflow_id', { workflowId: NUL }),
  start('no workflow type', 'workflow_type', { workflowType: { name: '' } }),
  start('a workflow type over 1000 bytes', 'workflow_type', { workflowType: { name: x(1001) } }),
  start('a NUL in the workflow type', 'workflow_type', { workflowType: { name: NUL } }),
  start('no task queue', 'task_queue', { taskQueue: null }),
  start('a 10,000-character task queue', 'task_queue', { taskQueue: { name: x(10_000) } }),
  start('a NUL in the task queue', 'task_queue', { taskQueue: { name: NUL } }),
  start("the reserved '/_sys/' task queue prefix", 'task_queue', { taskQueue: { name: '/_sys/q/1' } }),
  start('a request id over 1000 bytes', 'request_id', { requestId: x(1001) }),
  start('a NUL in the request id', 'request_id', { requestId: NUL }),
  start('an identity over 1000 bytes', 'identity', { identity: x(1001) }),
  start('a NUL in the identity', 'identity', { identity: NUL }),
  // durations
  start('a negative execution timeout', 'workflow_execution_timeout', { workflowExecutionTimeout: seconds(-1) }),
  start('a run timeout of 1e12 s (beyond protobuf)', 'workflow_run_timeout', { workflowRunTimeout: seconds(1e12) }),
  start('a run timeout of int64 max seconds', 'workflow_run_timeout', { workflowRunTimeout: seconds('9223372036854775807') }),
  start('a negative workflow task timeout', 'workflow_task_timeout', { workflowTaskTimeout: seconds(-10) }),
  start('Duration nanos of 2e9', 'workflow_task_timeout', { workflowTaskTimeout: seconds(1, 2e9) }),
  start('seconds and nanos of different signs', 'workflow_execution_timeout', { workflowExecutionTimeout: seconds(5, -1) }),
  start('a negative start delay', 'workflow_start_delay', { workflowStartDelay: seconds(-1) }),
  start('a cron schedule with a start delay', 'workflow_start_delay', { cronSchedule: '* * * * *', workflowStartDelay: seconds(5) }),
  start('reuse policy TERMINATE_IF_RUNNING with a conflict policy', 'workflow_id_reuse_policy', {
    workflowIdReusePolicy: temporal.api.enums.v1.WorkflowIdReusePolicy.WORKFLOW_ID_REUSE_POLICY_TERMINATE_IF_RUNNING,
    workflowIdConflictPolicy: temporal.api.enums.v1.WorkflowIdConflictPolicy.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
  }),
  start('reuse policy REJECT_DUPLICATE with TERMINATE_EXISTING', 'workflow_id_reuse_policy', {
    workflowIdReusePolicy: temporal.api.enums.v1.WorkflowIdReusePolicy.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
    workflowIdConflictPolicy: temporal.api.enums.v1.WorkflowIdConflictPolicy.WORKFLOW_ID_CONFLICT_POLICY_TERMINATE_EXISTING,
  }),
  // retry policy
  start('retry maximum attempts -1', 'retry_policy.maximum_attempts', { retryPolicy: { maximumAttempts: -1 } }),
  start('retry backoff coefficient 0.5', 'retry_policy.backoff_coefficient', { retryPolicy: { backoffCoefficient: 0.5 } }),
  start('a negative retry initial interval', 'retry_policy.initial_interval', { retryPolicy: { initialInterval: seconds(-1) } }),
  start('a negative retry maximum interval', 'retry_policy.maximum_interval', { retryPolicy: { maximumInterval: seconds(-1) } }),
  start('a retry maximum interval below the initial', 'retry_policy.maximum_interval', {
    retryPolicy: { initialInterval: seconds(10), maximumInterval: seconds(5) },
  }),
  start('a retry interval with nanos out of range', 'retry_policy.initial_interval', { retryPolicy: { initialInterval: seconds(1, -2e9) } }),
  start('an unknown TemporalTimeout non-retryable type', 'retry_policy.non_retryable_error_types', {
    retryPolicy: { nonRetryableErrorTypes: ['TemporalTimeout:Forever'] },
  }),
  // sizes
  start('a 3 MB input', 'input', { input: { payloads: [big(3 * MiB)] } }),
  start('two inputs of 1.5 MB each', 'input', { input: { payloads: [big(1.5 * MiB), big(1.5 * MiB)] } }),
  start('a 3 MB memo', 'memo', { memo: { fields: { m: big(3 * MiB) } } }),
  start('a 3 MB header', 'header', { header: { fields: { h: big(3 * MiB) } } }),
  // completion callbacks: internal ones are the server's own; no package here delivers any other
  start('a temporal://internal callback from a remote caller', 'completion_callbacks', { completionCallbacks: [{ nexus: internal }] }),
  start('an https callback no installed package delivers', 'completion_callbacks', { completionCallbacks: [{ nexus: https }] }),
  start('a callback without nexus', 'completion_callbacks', { completionCallbacks: [{}] }),
  start('a callback with a malformed URL', 'completion_callbacks', { completionCallbacks: [{ nexus: { url: 'not a url' } }] }),
  start('33 callbacks (over system.maxCallbacksPerWorkflow)', 'completion_callbacks', {
    completionCallbacks: Array.from({ length: 33 }, () => ({ nexus: https })),
  }),
  // signal-with-start, against the running workflow: refused before the signal is delivered
  sws('no signal name', 'signal_name', { signalName: '' }),
  sws('a signal name over 1000 bytes', 'signal_name', { signalName: x(1001) }),
  sws('a NUL in the signal name', 'signal_name', { signalName: NUL }),
  sws('a 3 MB signal input', 'signal_input', { signalInput: { payloads: [big(3 * MiB)] } }),
  sws('a 3 MB start input', 'input', { input: { payloads: [big(3 * MiB)] } }),
  sws('a NUL in the task queue', 'task_queue', { taskQueue: { name: NUL } }),
  sws('retry backoff coefficient 0.5', 'retry_policy.backoff_coefficient', { retryPolicy: { backoffCoefficient: 0.5 } }),
  sws('a negative run timeout', 'workflow_run_timeout', { workflowRunTimeout: seconds(-5) }),
  sws('a NUL in the workflow id', 'workflow_id', { workflowId: NUL }),
  sws('a 3 MB memo', 'memo', { memo: { fields: { m: big(3 * MiB) } } }),
  sws('conflict policy FAIL (signal-with-required-start)', 'workflow_id_conflict_policy', {
    workflowIdConflictPolicy: temporal.api.enums.v1.WorkflowIdConflictPolicy.WORKFLOW_ID_CONFLICT_POLICY_FAIL,
  }),
  // signal
  signal('no signal name', 'signal_name', { signalName: '' }),
  signal('a signal name over 1000 bytes', 'signal_name', { signalName: x(1001) }),
  signal('a NUL in the signal name', 'signal_name', { signalName: NUL }),
  signal('a 3 MB signal input', 'input', { input: { payloads: [big(3 * MiB)] } }),
  signal('a 3 MB header', 'header', { header: { fields: { h: big(3 * MiB) } } }),
  signal('a request id over 1000 bytes', 'request_id', { requestId: x(1001) }),
  signal('a NUL in the identity', 'identity', { identity: NUL }),
  signal('a NUL in the workflow id', 'workflow_execution.workflow_id', { workflowExecution: { workflowId: NUL } }),
];

describe.each(testDatabaseConfigs('chasm_wf_bad_input'))('bad input at the front door on $name', (dialect) => {
  let server: TestServer;
  let connection: Connection;
  let drop: () => Promise<void>;
  let runningId: string;
  const svc = () => connection.workflowService;
  const count = async (): Promise<number> => Number((await svc().countWorkflowExecutions({ namespace })).count);
  const historyLength = async (workflowId: string): Promise<number> =>
    (await svc().getWorkflowExecutionHistory({ namespace, execution: { workflowId } })).history?.events?.length ?? 0;

  beforeAll(async () => {
    const db = await dialect.open();
    drop = db.drop;
    server = await startTestServer({ plugins: [matchingPlugin, workflowPlugin], database: db.config });
    // No retry interceptor: status codes are asserted as they are.
    connection = await Connection.connect({ address: server.address, interceptors: [] });
    runningId = `running-${randomUUID()}`;
    await svc().startWorkflowExecution({ namespace, workflowId: runningId, workflowType: { name: 'wf' }, taskQueue: { name: taskQueue }, requestId: randomUUID() });
    // Visibility is written by a task after the start commits; the cases compare counts, so
    // wait until the running workflow is counted before the first one takes its 'before'.
    const deadline = Date.now() + 10_000;
    while ((await count()) < 1) {
      if (Date.now() > deadline) throw new Error('the running workflow never became visible');
      await new Promise((r) => setTimeout(r, 20));
    }
  });
  afterAll(async () => {
    await connection?.close();
    await server?.stop();
    await drop?.();
  });

  async function call(c: Case, workflowId: string): Promise<unknown> {
    switch (c.rpc) {
      case 'start':
        return svc().startWorkflowExecution({
          namespace,
          workflowId,
          workflowType: { name: 'wf' },
          taskQueue: { name: taskQueue },
          requestId: randomUUID(),
          identity: 'bad-input-test',
          ...c.req,
        });
      case 'signalWithStart':
        return svc().signalWithStartWorkflowExecution({
          namespace,
          workflowId: runningId,
          workflowType: { name: 'wf' },
          taskQueue: { name: taskQueue },
          requestId: randomUUID(),
          identity: 'bad-input-test',
          signalName: 'sig',
          ...c.req,
        });
      case 'signal':
        return svc().signalWorkflowExecution({
          namespace,
          workflowExecution: { workflowId: runningId },
          signalName: 'sig',
          requestId: randomUUID(),
          identity: 'bad-input-test',
          ...c.req,
        });
    }
  }

  it.each(cases.map((c) => [`${c.rpc}: ${c.name}`, c] as const))('%s', async (_name, c) => {
    const workflowId = `bad-${randomUUID()}`;
    const [before, runningBefore] = await Promise.all([count(), historyLength(runningId)]);
    const err = (await call(c, workflowId).then(
      () => ({ code: 0, details: 'accepted' }),
      (e: unknown) => e,
    )) as { code: number; details: string };
    expect({ code: err.code, details: err.details }).toMatchObject({ code: 3 });
    expect(err.details).toContain(c.field);
    // Nothing stored: no new execution, nothing appended to the running one.
    expect(await count()).toBe(before);
    expect(await historyLength(runningId)).toBe(runningBefore);
    if (c.rpc === 'start') {
      await expect(svc().describeWorkflowExecution({ namespace, execution: { workflowId } })).rejects.toMatchObject({ code: 5 });
    }
  });

  type ActivityAttrs = temporal.api.command.v1.IScheduleActivityTaskCommandAttributes;
  const badActivities: [string, string, ActivityAttrs][] = [
    ['retry backoff coefficient 0.5', 'retry_policy.backoff_coefficient', { retryPolicy: { backoffCoefficient: 0.5 } }],
    ['retry maximum attempts -1', 'retry_policy.maximum_attempts', { retryPolicy: { maximumAttempts: -1 } }],
    ['a negative start-to-close timeout', 'start_to_close_timeout', { startToCloseTimeout: seconds(-1) }],
    ['heartbeat timeout nanos of 2e9', 'heartbeat_timeout', { heartbeatTimeout: seconds(0, 2e9) }],
    ['a NUL in the activity id', 'activity_id', { activityId: NUL }],
    ['an activity type over 1000 bytes', 'activity_type', { activityType: { name: x(1001) } }],
    ["the reserved '/_sys/' task queue prefix", 'task_queue', { taskQueue: { name: '/_sys/q/2' } }],
  ];

  const badCommands: [string, string, temporal.api.command.v1.ICommand, number][] = [
    ...badActivities.map(([name, field, attrs]): [string, string, temporal.api.command.v1.ICommand, number] => [
      `ScheduleActivityTask: ${name}`,
      field,
      {
        commandType: CommandType.COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK,
        scheduleActivityTaskCommandAttributes: { activityId: '1', activityType: { name: 'act' }, startToCloseTimeout: seconds(10), ...attrs },
      },
      WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_BAD_SCHEDULE_ACTIVITY_ATTRIBUTES,
    ]),
    [
      'StartTimer: a negative duration',
      'start_to_fire_timeout',
      { commandType: CommandType.COMMAND_TYPE_START_TIMER, startTimerCommandAttributes: { timerId: 't', startToFireTimeout: seconds(-5) } },
      WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_BAD_START_TIMER_ATTRIBUTES,
    ],
    [
      'StartTimer: nanos of 2e9',
      'start_to_fire_timeout',
      { commandType: CommandType.COMMAND_TYPE_START_TIMER, startTimerCommandAttributes: { timerId: 't', startToFireTimeout: seconds(1, 2e9) } },
      WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_BAD_START_TIMER_ATTRIBUTES,
    ],
    [
      'StartTimer: a NUL in the timer id',
      'timer_id',
      { commandType: CommandType.COMMAND_TYPE_START_TIMER, startTimerCommandAttributes: { timerId: NUL, startToFireTimeout: seconds(5) } },
      WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_BAD_START_TIMER_ATTRIBUTES,
    ],
    ...(
      [
        ['retry backoff coefficient 0.5', 'retry_policy.backoff_coefficient', { retryPolicy: { backoffCoefficient: 0.5 } }],
        ['a NUL in the task queue', 'task_queue', { taskQueue: { name: NUL } }],
        ['a workflow id over 1000 bytes', 'workflow_id', { workflowId: x(1001) }],
        ['a negative run timeout', 'workflow_run_timeout', { workflowRunTimeout: seconds(-1) }],
        ['a 3 MB input', 'input', { input: { payloads: [big(3 * MiB)] } }],
      ] as [string, string, temporal.api.command.v1.IStartChildWorkflowExecutionCommandAttributes][]
    ).map(([name, field, attrs]): [string, string, temporal.api.command.v1.ICommand, number] => [
      `StartChildWorkflowExecution: ${name}`,
      field,
      {
        commandType: CommandType.COMMAND_TYPE_START_CHILD_WORKFLOW_EXECUTION,
        startChildWorkflowExecutionCommandAttributes: { workflowId: `child-${randomUUID()}`, workflowType: { name: 'wf' }, ...attrs },
      },
      WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_BAD_START_CHILD_EXECUTION_ATTRIBUTES,
    ]),
    [
      'ContinueAsNew: a NUL in the task queue',
      'task_queue',
      { commandType: CommandType.COMMAND_TYPE_CONTINUE_AS_NEW_WORKFLOW_EXECUTION, continueAsNewWorkflowExecutionCommandAttributes: { taskQueue: { name: NUL } } },
      WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_BAD_CONTINUE_AS_NEW_ATTRIBUTES,
    ],
    [
      'ContinueAsNew: retry backoff coefficient 0.5',
      'retry_policy.backoff_coefficient',
      {
        commandType: CommandType.COMMAND_TYPE_CONTINUE_AS_NEW_WORKFLOW_EXECUTION,
        continueAsNewWorkflowExecutionCommandAttributes: { retryPolicy: { backoffCoefficient: 0.5 } },
      },
      WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_BAD_CONTINUE_AS_NEW_ATTRIBUTES,
    ],
    [
      'ContinueAsNew: a negative run timeout',
      'workflow_run_timeout',
      {
        commandType: CommandType.COMMAND_TYPE_CONTINUE_AS_NEW_WORKFLOW_EXECUTION,
        continueAsNewWorkflowExecutionCommandAttributes: { workflowRunTimeout: seconds(-1) },
      },
      WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_BAD_CONTINUE_AS_NEW_ATTRIBUTES,
    ],
    [
      'SignalExternalWorkflowExecution: a NUL in the workflow id',
      'execution.workflow_id',
      {
        commandType: CommandType.COMMAND_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION,
        signalExternalWorkflowExecutionCommandAttributes: { execution: { workflowId: NUL }, signalName: 's' },
      },
      WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_BAD_SIGNAL_WORKFLOW_EXECUTION_ATTRIBUTES,
    ],
    [
      'SignalExternalWorkflowExecution: no signal name',
      'signal_name',
      {
        commandType: CommandType.COMMAND_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION,
        signalExternalWorkflowExecutionCommandAttributes: { execution: { workflowId: 'target' } },
      },
      WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_BAD_SIGNAL_WORKFLOW_EXECUTION_ATTRIBUTES,
    ],
    [
      'RequestCancelExternalWorkflowExecution: a workflow id over 1000 bytes',
      'workflow_id',
      {
        commandType: CommandType.COMMAND_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION,
        requestCancelExternalWorkflowExecutionCommandAttributes: { workflowId: x(1001) },
      },
      WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_BAD_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_ATTRIBUTES,
    ],
  ];

  it.each(badCommands)('%s fails the workflow task with its cause', async (_name, field, command, cause) => {
    const q = `cmd-${randomUUID()}`;
    const workflowId = `cmd-${randomUUID()}`;
    await svc().startWorkflowExecution({ namespace, workflowId, workflowType: { name: 'wf' }, taskQueue: { name: q }, requestId: randomUUID() });
    const task = await svc().pollWorkflowTaskQueue({ namespace, taskQueue: { name: q, kind: 1 }, identity: 'hand' });
    const err = (await svc()
      .respondWorkflowTaskCompleted({
        namespace,
        taskToken: task.taskToken,
        identity: 'hand',
        commands: [command],
      })
      .catch((e: unknown) => e)) as { code: number; details: string };
    expect(err.code).toBe(3);
    expect(err.details).toContain(field);
    const events = (await svc().getWorkflowExecutionHistory({ namespace, execution: { workflowId } })).history?.events ?? [];
    // Rolled back: the task failed with the cause (the retry is a transient attempt), and the command left no event.
    expect(events.map((e) => e.eventType)).toEqual([
      EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED,
      EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED,
      EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED,
      EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED,
    ]);
    expect(events[3]?.workflowTaskFailedEventAttributes?.cause).toBe(cause);
  });

  it('refuses a NUL in the workflow id of the RPCs that address an execution, instead of failing in the store', async () => {
    const execution = { workflowId: NUL };
    const calls: [string, () => Promise<unknown>][] = [
      ['describe', () => svc().describeWorkflowExecution({ namespace, execution })],
      ['history', () => svc().getWorkflowExecutionHistory({ namespace, execution })],
      ['terminate', () => svc().terminateWorkflowExecution({ namespace, workflowExecution: execution })],
      ['cancel', () => svc().requestCancelWorkflowExecution({ namespace, workflowExecution: execution })],
      ['query', () => svc().queryWorkflow({ namespace, execution, query: { queryType: 'q' } })],
      ['run id', () => svc().describeWorkflowExecution({ namespace, execution: { workflowId: runningId, runId: NUL } })],
    ];
    for (const [name, call] of calls) {
      const err = (await call().catch((e: unknown) => e)) as { code: number; details: string };
      expect({ name, code: err.code }).toEqual({ name, code: 3 });
      expect(err.details).toContain('workflow_execution.');
    }
  });

  it("answers with Temporal's messages", async () => {
    const message = async (c: Case): Promise<string> => ((await call(c, `msg-${randomUUID()}`).catch((e: unknown) => e)) as { details: string }).details;
    expect(await message(start('', '', { workflowId: x(1001) }))).toBe('workflow_id: WorkflowId length exceeds limit.');
    expect(await message(start('', '', { taskQueue: { name: '/_sys/q' } }))).toBe('task_queue: task queue name cannot start with reserved prefix /_sys/');
    expect(await message(start('', '', { workflowTaskTimeout: seconds(-1) }))).toBe(
      'workflow_task_timeout: An invalid WorkflowTaskTimeoutSeconds is set on request. cause: negative duration',
    );
    expect(await message(start('', '', { retryPolicy: { backoffCoefficient: 0.5 } }))).toBe(
      'retry_policy.backoff_coefficient: BackoffCoefficient cannot be less than 1 on retry policy.',
    );
    expect(await message(start('', '', { retryPolicy: { maximumAttempts: -1 } }))).toBe(
      'retry_policy.maximum_attempts: MaximumAttempts cannot be negative on retry policy.',
    );
    expect(await message(start('', '', { input: { payloads: [big(3 * MiB)] } }))).toBe('input: Blob data size exceeds limit.');
    expect(await message(start('', '', { memo: { fields: { m: big(3 * MiB) } } }))).toBe('memo: Memo size exceeds limit.');
    expect(await message(signal('', '', { signalName: '' }))).toBe('signal_name: SignalName is not set on request.');
    expect(await message(start('', '', { completionCallbacks: [{ nexus: internal }] }))).toBe(
      'completion_callbacks: temporal://internal callbacks are reserved for the server',
    );
    expect(await message(start('', '', { completionCallbacks: [{ nexus: https }] }))).toBe(
      'completion_callbacks: no installed package delivers callbacks to https: URLs (callback 0)',
    );
  });

  it('accepts what Temporal accepts at the limits, capping durations over 100 years', async () => {
    const workflowId = x(1000);
    await svc().startWorkflowExecution({
      namespace,
      workflowId,
      workflowType: { name: 'wf' },
      taskQueue: { name: x(1000) },
      requestId: randomUUID(),
      workflowExecutionTimeout: seconds(1e10),
      input: { payloads: [big(2 * MiB - 64)] },
      // One attempt disables retries: Temporal checks nothing else of the policy.
      retryPolicy: { maximumAttempts: 1, backoffCoefficient: 0.5 },
    });
    const d = await svc().describeWorkflowExecution({ namespace, execution: { workflowId } });
    expect(Number(d.executionConfig?.workflowExecutionTimeout?.seconds)).toBe(100 * 365 * 24 * 3600);
    // Unset retry fields take the defaults before they are checked (coefficient 0 is 2).
    const other = `ok-${randomUUID()}`;
    await svc().startWorkflowExecution({
      namespace,
      workflowId: other,
      workflowType: { name: 'wf' },
      taskQueue: { name: taskQueue },
      requestId: randomUUID(),
      retryPolicy: { initialInterval: seconds(200), nonRetryableErrorTypes: ['TemporalTimeout:StartToClose', 'MyError'] },
    });
    await svc().signalWorkflowExecution({ namespace, workflowExecution: { workflowId: other }, signalName: 's', input: { payloads: [big(MiB)] } });
    expect(await historyLength(other)).toBeGreaterThan(2);
  });
});

describe('limits come from the workflow settings', () => {
  let server: TestServer;
  let connection: Connection;
  beforeAll(async () => {
    server = await startTestServer({
      plugins: [matchingPlugin, workflowPlugin],
      settings: { workflow: { blobSizeLimitBytes: 1024, memoSizeLimitBytes: 512, headerSizeLimitBytes: 256, maxIdLength: 40 } },
    });
    connection = await Connection.connect({ address: server.address, interceptors: [] });
  });
  afterAll(async () => {
    await connection?.close();
    await server?.stop();
  });

  const over: [string, Partial<StartReq>][] = [
    ['workflow_id', { workflowId: x(41) }],
    ['input', { input: { payloads: [big(2000)] } }],
    ['memo', { memo: { fields: { m: big(600) } } }],
    ['header', { header: { fields: { h: big(300) } } }],
  ];
  it.each(over)('%s', async (field, over) => {
    const err = (await connection.workflowService
      .startWorkflowExecution({ namespace, workflowId: 'w', workflowType: { name: 'wf' }, taskQueue: { name: 'q' }, requestId: randomUUID(), ...over })
      .catch((e: unknown) => e)) as { code: number; details: string };
    expect(err.code).toBe(3);
    expect(err.details).toContain(field);
  });
});
