import { randomUUID } from 'node:crypto';
import { Connection } from '@temporalio/client';
import { type google, temporal } from '@temporalio/proto';
import { testDatabaseConfigs } from '@chasm/core/testing';
import { startTestServer, type TestServer } from '@chasm/runtime/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILTIN_PLUGINS, DEV_PACKAGES } from '../../src/catalogue.js';

/**
 * Bad input at the door of the whole server (issue 15, reliability suite): every built-in
 * package loaded, raw WorkflowService / OperatorService calls over gRPC with no retry
 * interceptor (the SDK client would refuse some of these itself, or retry). Each row names the
 * RPC, the mutation of an otherwise good request, the status expected and a substring naming
 * the field; after each, the store must be unchanged: the id the request named is NOT_FOUND on
 * describe, the running workflow's history did not grow, and the number of executions counted
 * by visibility is the same. Runs on PGlite and Postgres.
 */

type Svc = Connection['workflowService'];
type Op = Connection['operatorService'];
type StartReq = temporal.api.workflowservice.v1.IStartWorkflowExecutionRequest;

const INVALID_ARGUMENT = 3;
const NOT_FOUND = 5;
const namespace = 'default';
const taskQueue = 'reliability-bad-input';
const MiB = 1024 * 1024;
const NUL = 'a\u0000b';
const utf8 = new TextEncoder();
const x = (n: number): string => 'x'.repeat(n);
/** A Duration; int64 seconds past 2^53 as a decimal string (protobufjs encodes both). */
const dur = (s: number | string, nanos = 0): google.protobuf.IDuration => ({ seconds: s as unknown as NonNullable<google.protobuf.IDuration['seconds']>, nanos });
const big = (bytes: number): temporal.api.common.v1.IPayload => ({ metadata: { encoding: utf8.encode('binary/plain') }, data: new Uint8Array(bytes) });
const json = (v: unknown): temporal.api.common.v1.IPayload => ({ metadata: { encoding: utf8.encode('json/plain') }, data: utf8.encode(JSON.stringify(v)) });

/** Keyword attributes registered for the total-size rows: 21 values of 2,000 bytes pass 40 KB together. */
const SIZED = Array.from({ length: 21 }, (_, i) => `BadInputSized${i}`);
const sizedAttributes = (): Record<string, temporal.api.common.v1.IPayload> => Object.fromEntries(SIZED.map((n) => [n, json(x(1998))]));
const manyAttributes = (n: number, v: () => temporal.api.common.v1.IPayload): Record<string, temporal.api.common.v1.IPayload> =>
  Object.fromEntries(Array.from({ length: n }, (_, i) => [`Many${i}`, v()]));

/** What the case must not have stored, checked after the call. */
type Stored = 'workflow' | 'activity' | 'schedule' | 'running-history' | 'endpoint';

interface Ctx {
  readonly svc: Svc;
  readonly op: Op;
  /** A fresh id the request may create under. */
  readonly id: string;
  /** A running workflow (signal, cancel, terminate targets). */
  readonly runningId: string;
}

interface Case {
  readonly rpc: string;
  readonly name: string;
  readonly code: number;
  /** A substring of the status message naming the field (or the limit). */
  readonly field: string;
  readonly stored: Stored;
  readonly call: (c: Ctx) => Promise<unknown>;
}

const startReq = (c: Ctx, m: Partial<StartReq>): StartReq => ({
  namespace,
  workflowId: c.id,
  workflowType: { name: 'wf' },
  taskQueue: { name: taskQueue },
  requestId: randomUUID(),
  identity: 'bad-input',
  ...m,
});

const start = (name: string, field: string, m: Partial<StartReq>, code = INVALID_ARGUMENT): Case => ({
  rpc: 'StartWorkflowExecution',
  name,
  code,
  field,
  stored: 'workflow',
  call: (c) => c.svc.startWorkflowExecution(startReq(c, m)),
});

const signalWithStart = (name: string, field: string, m: Partial<temporal.api.workflowservice.v1.ISignalWithStartWorkflowExecutionRequest>): Case => ({
  rpc: 'SignalWithStartWorkflowExecution',
  name,
  code: INVALID_ARGUMENT,
  field,
  stored: 'workflow',
  call: (c) => c.svc.signalWithStartWorkflowExecution({ ...startReq(c, {}), signalName: 'sig', ...m }),
});

const signal = (name: string, field: string, m: Partial<temporal.api.workflowservice.v1.ISignalWorkflowExecutionRequest>): Case => ({
  rpc: 'SignalWorkflowExecution',
  name,
  code: INVALID_ARGUMENT,
  field,
  stored: 'running-history',
  call: (c) => c.svc.signalWorkflowExecution({ namespace, workflowExecution: { workflowId: c.runningId }, signalName: 'sig', requestId: randomUUID(), ...m }),
});

const onRunning = (rpc: string, name: string, field: string, call: (c: Ctx) => Promise<unknown>): Case => ({
  rpc,
  name,
  code: INVALID_ARGUMENT,
  field,
  stored: 'running-history',
  call,
});

const activity = (name: string, field: string, m: Partial<temporal.api.workflowservice.v1.IStartActivityExecutionRequest>): Case => ({
  rpc: 'StartActivityExecution',
  name,
  code: INVALID_ARGUMENT,
  field,
  stored: 'activity',
  call: (c) =>
    c.svc.startActivityExecution({
      namespace,
      activityId: c.id,
      activityType: { name: 'act' },
      taskQueue: { name: taskQueue },
      startToCloseTimeout: dur(10),
      requestId: randomUUID(),
      identity: 'bad-input',
      ...m,
    }),
});

const schedule = (name: string, field: string, s: (c: Ctx) => temporal.api.schedule.v1.ISchedule): Case => ({
  rpc: 'CreateSchedule',
  name,
  code: INVALID_ARGUMENT,
  field,
  stored: 'schedule',
  call: (c) => c.svc.createSchedule({ namespace, scheduleId: c.id, requestId: randomUUID(), identity: 'bad-input', schedule: s(c) }),
});
const hourly = { interval: [{ interval: dur(3600) }] };
const action = (c: Ctx, m: Partial<temporal.api.workflow.v1.INewWorkflowExecutionInfo> = {}): temporal.api.schedule.v1.IScheduleAction => ({
  startWorkflow: { workflowId: `${c.id}-wf`, workflowType: { name: 'wf' }, taskQueue: { name: taskQueue }, ...m },
});

const cases: Case[] = [
  // namespace
  start('an empty namespace', 'Namespace', { namespace: '' }),
  // identifiers and task queues
  start('a NUL in the workflow id', 'workflow_id', { workflowId: NUL }),
  start('a workflow id over limit.maxIDLength (1000 bytes)', 'workflow_id', { workflowId: x(1001) }),
  start('no workflow type', 'workflow_type', { workflowType: { name: '' } }),
  start('a NUL in the workflow type', 'workflow_type', { workflowType: { name: NUL } }),
  start('a 10,000-character task queue name', 'task_queue', { taskQueue: { name: x(10_000) } }),
  start('a NUL in the task queue name', 'task_queue', { taskQueue: { name: NUL } }),
  start('no task queue', 'task_queue', { taskQueue: null }),
  start("the reserved '/_sys/' task queue prefix", 'task_queue', { taskQueue: { name: '/_sys/q/3' } }),
  start('a NUL in the request id', 'request_id', { requestId: NUL }),
  start('an identity over 1000 bytes', 'identity', { identity: x(1001) }),
  // durations
  start('a run timeout of 1e12 s', 'workflow_run_timeout', { workflowRunTimeout: dur(1e12) }),
  start('an execution timeout of int64 max seconds', 'workflow_execution_timeout', { workflowExecutionTimeout: dur('9223372036854775807') }),
  start('a negative workflow task timeout', 'workflow_task_timeout', { workflowTaskTimeout: dur(-10) }),
  start('Duration nanos of 2e9', 'workflow_task_timeout', { workflowTaskTimeout: dur(1, 2e9) }),
  start('seconds and nanos of different signs', 'workflow_run_timeout', { workflowRunTimeout: dur(5, -1) }),
  start('a negative start delay', 'workflow_start_delay', { workflowStartDelay: dur(-1) }),
  // cron and retry policy
  start('an unparsable cron string', 'cron_schedule', { cronSchedule: 'every blue moon' }),
  start('a cron string with six fields', 'cron_schedule', { cronSchedule: '* * * * * * *' }),
  start('retry maximum attempts -1', 'retry_policy.maximum_attempts', { retryPolicy: { maximumAttempts: -1 } }),
  start('retry backoff coefficient 0.5', 'retry_policy.backoff_coefficient', { retryPolicy: { backoffCoefficient: 0.5 } }),
  start('a negative retry initial interval', 'retry_policy.initial_interval', { retryPolicy: { initialInterval: dur(-1) } }),
  start('a negative retry maximum interval', 'retry_policy.maximum_interval', { retryPolicy: { maximumInterval: dur(-3) } }),
  start('a retry maximum interval below the initial one', 'retry_policy.maximum_interval', { retryPolicy: { initialInterval: dur(10), maximumInterval: dur(5) } }),
  // sizes (limit.blobSize.error 2 MB, limit.memoSize.error 2 MB, header 2 MB)
  start('a 3 MB input', 'input', { input: { payloads: [big(3 * MiB)] } }),
  start('a 10 MB input', 'input', { input: { payloads: [big(10 * MiB)] } }),
  start('a 10 MB memo', 'memo', { memo: { fields: { m: big(10 * MiB) } } }),
  start('a 5 MB header', 'header', { header: { fields: { h: big(5 * MiB) } } }),
  // search attributes
  start('an unknown search attribute', 'search attribute NoSuchAttribute is not defined', { searchAttributes: { indexedFields: { NoSuchAttribute: json('v') } } }),
  start('a Keyword search attribute given a number', 'invalid value for search attribute BadInputKeyword of type Keyword', {
    searchAttributes: { indexedFields: { BadInputKeyword: json(42) } },
  }),
  start('an Int search attribute given a fraction', 'invalid value for search attribute BadInputInt of type Int', {
    searchAttributes: { indexedFields: { BadInputInt: json(1.5) } },
  }),
  start('a search attribute value that is not JSON', 'invalid value for search attribute BadInputKeyword', {
    searchAttributes: { indexedFields: { BadInputKeyword: { metadata: { encoding: utf8.encode('json/plain') }, data: utf8.encode('{not json') } } },
  }),
  start('a 3 KB search attribute value (limit.searchAttributesSizeOfValue 2 KB)', 'search attribute BadInputKeyword value of size 3002: exceeds size limit 2048', {
    searchAttributes: { indexedFields: { BadInputKeyword: json(x(3000)) } },
  }),
  start('a system search attribute', "WorkflowId attribute can't be set in SearchAttributes", { searchAttributes: { indexedFields: { WorkflowId: json('mine') } } }),
  start('a KeywordList search attribute given a string', 'invalid value for search attribute BadInputKeywordList of type KeywordList', {
    searchAttributes: { indexedFields: { BadInputKeywordList: json('not a list') } },
  }),
  start('a KeywordList search attribute given a list of numbers', 'invalid value for search attribute BadInputKeywordList of type KeywordList', {
    searchAttributes: { indexedFields: { BadInputKeywordList: json([1, 2]) } },
  }),
  start('a Datetime search attribute that is no time', 'invalid value for search attribute BadInputDatetime of type Datetime', {
    searchAttributes: { indexedFields: { BadInputDatetime: json('the day after tomorrow') } },
  }),
  start('an Int search attribute given a string', 'invalid value for search attribute BadInputInt of type Int', {
    searchAttributes: { indexedFields: { BadInputInt: json('12') } },
  }),
  start('101 search attributes (limit.searchAttributesNumberOfKeys 100)', 'number of search attributes 101 exceeds limit 100', {
    searchAttributes: { indexedFields: manyAttributes(101, () => json('v')) },
  }),
  start('21 search attributes of 2 KB (limit.searchAttributesTotalSize 40 KB)', 'total size of search attributes', {
    searchAttributes: { indexedFields: sizedAttributes() },
  }),
  signalWithStart('a Keyword search attribute given a boolean', 'invalid value for search attribute BadInputKeyword', {
    searchAttributes: { indexedFields: { BadInputKeyword: json(true) } },
  }),
  signalWithStart('an unknown search attribute', 'search attribute NoSuchAttribute is not defined', { searchAttributes: { indexedFields: { NoSuchAttribute: json('v') } } }),
  signalWithStart('101 search attributes', 'number of search attributes 101 exceeds limit 100', {
    searchAttributes: { indexedFields: manyAttributes(101, () => json('v')) },
  }),
  signalWithStart('21 search attributes of 2 KB', 'total size of search attributes', { searchAttributes: { indexedFields: sizedAttributes() } }),
  // id policies
  start('reuse TERMINATE_IF_RUNNING with a conflict policy', 'workflow_id_reuse_policy', {
    workflowIdReusePolicy: temporal.api.enums.v1.WorkflowIdReusePolicy.WORKFLOW_ID_REUSE_POLICY_TERMINATE_IF_RUNNING,
    workflowIdConflictPolicy: temporal.api.enums.v1.WorkflowIdConflictPolicy.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
  }),
  // signal-with-start
  signalWithStart('no signal name', 'signal_name', { signalName: '' }),
  signalWithStart('a NUL in the signal name', 'signal_name', { signalName: NUL }),
  signalWithStart('a 3 MB signal input', 'signal_input', { signalInput: { payloads: [big(3 * MiB)] } }),
  signalWithStart('a NUL in the task queue name', 'task_queue', { taskQueue: { name: NUL } }),
  signalWithStart('an unparsable cron string', 'cron_schedule', { cronSchedule: 'not cron' }),
  signalWithStart('retry maximum attempts -1', 'retry_policy.maximum_attempts', { retryPolicy: { maximumAttempts: -1 } }),
  // on a running workflow: refused before anything is appended to its history
  signal('a NUL in the workflow id', 'workflow_execution.workflow_id', { workflowExecution: { workflowId: NUL } }),
  signal('no signal name', 'signal_name', { signalName: '' }),
  signal('a signal name over 1000 bytes', 'signal_name', { signalName: x(1001) }),
  signal('a 3 MB signal input', 'input', { input: { payloads: [big(3 * MiB)] } }),
  signal('a 5 MB header', 'header', { header: { fields: { h: big(5 * MiB) } } }),
  signal('a NUL in the identity', 'identity', { identity: NUL }),
  onRunning('RequestCancelWorkflowExecution', 'a NUL in the workflow id', 'workflow_execution.workflow_id', (c) =>
    c.svc.requestCancelWorkflowExecution({ namespace, workflowExecution: { workflowId: NUL }, requestId: randomUUID() }),
  ),
  onRunning('RequestCancelWorkflowExecution', 'no workflow id', 'workflow_id', (c) =>
    c.svc.requestCancelWorkflowExecution({ namespace, workflowExecution: { workflowId: '' }, requestId: randomUUID() }),
  ),
  onRunning('TerminateWorkflowExecution', 'a NUL in the workflow id', 'workflow_execution.workflow_id', (c) =>
    c.svc.terminateWorkflowExecution({ namespace, workflowExecution: { workflowId: NUL }, reason: 'x' }),
  ),
  onRunning('TerminateWorkflowExecution', 'a NUL in the run id', 'run_id', (c) =>
    c.svc.terminateWorkflowExecution({ namespace, workflowExecution: { workflowId: c.runningId, runId: NUL }, reason: 'x' }),
  ),
  onRunning('DescribeWorkflowExecution', 'a NUL in the workflow id', 'workflow_id', (c) => c.svc.describeWorkflowExecution({ namespace, execution: { workflowId: NUL } })),
  onRunning('GetWorkflowExecutionHistory', 'a NUL in the workflow id', 'workflow_id', (c) =>
    c.svc.getWorkflowExecutionHistory({ namespace, execution: { workflowId: NUL } }),
  ),
  onRunning('QueryWorkflow', 'a NUL in the workflow id', 'workflow_id', (c) =>
    c.svc.queryWorkflow({ namespace, execution: { workflowId: NUL }, query: { queryType: 'q' } }),
  ),
  onRunning('PollWorkflowTaskQueue', 'a NUL in the task queue name', 'task_queue', (c) =>
    c.svc.pollWorkflowTaskQueue({ namespace, taskQueue: { name: NUL }, identity: 'bad-input' }),
  ),
  onRunning('PollActivityTaskQueue', 'a 10,000-character task queue name', 'task_queue', (c) =>
    c.svc.pollActivityTaskQueue({ namespace, taskQueue: { name: x(10_000) }, identity: 'bad-input' }),
  ),
  onRunning('RespondWorkflowTaskCompleted', 'a task token that does not decode', 'task_token', (c) =>
    c.svc.respondWorkflowTaskCompleted({ namespace, taskToken: utf8.encode('not a token'), identity: 'bad-input' }),
  ),
  // standalone activities
  activity('a NUL in the activity id', 'activity_id', { activityId: NUL }),
  activity('an activity id over 1000 bytes', 'activity_id', { activityId: x(1001) }),
  activity('a NUL in the task queue name', 'task_queue', { taskQueue: { name: NUL } }),
  activity('a 3 MB input', 'input', { input: { payloads: [big(3 * MiB)] } }),
  activity('a negative start-to-close timeout', 'start_to_close_timeout', { startToCloseTimeout: dur(-1) }),
  activity('retry backoff coefficient 0.5', 'retry_policy', { retryPolicy: { backoffCoefficient: 0.5 } }),
  activity('a fairness weight of 5000', 'priority.fairness_weight', { priority: { fairnessWeight: 5000 } }),
  activity('a fairness weight of 0.0001', 'priority.fairness_weight', { priority: { fairnessWeight: 0.0001 } }),
  // schedules
  schedule('an unparsable cron string', 'cron', (c) => ({ spec: { cronString: ['not a cron at all'] }, action: action(c) })),
  schedule('a negative interval', 'interval', (c) => ({ spec: { interval: [{ interval: dur(-5) }] }, action: action(c) })),
  schedule('an unknown time zone', 'zone', (c) => ({ spec: { ...hourly, timezoneName: 'Mars/Olympus_Mons' }, action: action(c) })),
  schedule('an action without a workflow type', 'type', (c) => ({ spec: hourly, action: { startWorkflow: { workflowId: `${c.id}-wf`, taskQueue: { name: taskQueue } } } })),
];

describe.each(testDatabaseConfigs('chasm_srv_bad_input'))('bad input at the door of the whole server on $name', (dialect) => {
  let server: TestServer;
  let connection: Connection;
  let drop: () => Promise<void>;
  let runningId: string;
  const svc = (): Svc => connection.workflowService;
  const count = async (): Promise<number> => Number((await svc().countWorkflowExecutions({ namespace })).count);
  const historyLength = async (): Promise<number> =>
    (await svc().getWorkflowExecutionHistory({ namespace, execution: { workflowId: runningId } })).history?.events?.length ?? 0;
  const codeOf = (p: Promise<unknown>): Promise<number> => p.then(() => 0, (e: unknown) => (e as { code?: number }).code ?? -1);

  beforeAll(async () => {
    const db = await dialect.open();
    drop = db.drop;
    server = await startTestServer({ packages: DEV_PACKAGES, catalogue: BUILTIN_PLUGINS, database: db.config });
    connection = await Connection.connect({ address: server.address, interceptors: [] });
    await connection.operatorService.addSearchAttributes({
      namespace,
      searchAttributes: {
        BadInputKeyword: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
        BadInputInt: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_INT,
        BadInputKeywordList: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST,
        BadInputDatetime: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
        ...Object.fromEntries(SIZED.map((n) => [n, temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD])),
      },
    });
    runningId = `running-${randomUUID()}`;
    await svc().startWorkflowExecution(startReq({ svc: svc(), op: connection.operatorService, id: runningId, runningId }, {}));
    // Visibility is written by a task after the start commits; wait until the running workflow
    // is counted before the first case takes its 'before'.
    const deadline = Date.now() + 10_000;
    while ((await count()) < 1) {
      if (Date.now() > deadline) throw new Error('the running workflow never became visible');
      await new Promise((r) => setTimeout(r, 20));
    }
  }, 60_000);
  afterAll(async () => {
    await connection?.close();
    await server?.stop();
    await drop?.();
  });

  it('has at least 50 cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(50);
  });

  it.each(cases.map((c) => [`${c.rpc}: ${c.name}`, c] as const))('%s', async (_name, c) => {
    const id = `bad-${randomUUID()}`;
    const ctx: Ctx = { svc: svc(), op: connection.operatorService, id, runningId };
    const [before, historyBefore] = await Promise.all([count(), historyLength()]);
    const err = (await c.call(ctx).then(
      () => ({ code: 0, details: 'accepted' }),
      (e: unknown) => e,
    )) as { code: number; details: string };
    expect({ code: err.code, details: err.details }).toMatchObject({ code: c.code });
    expect(err.details).toContain(c.field);
    // Nothing stored.
    switch (c.stored) {
      case 'workflow':
        expect(await codeOf(svc().describeWorkflowExecution({ namespace, execution: { workflowId: id } }))).toBe(NOT_FOUND);
        break;
      case 'activity':
        expect(await codeOf(svc().describeActivityExecution({ namespace, activityId: id }))).toBe(NOT_FOUND);
        break;
      case 'schedule':
        expect(await codeOf(svc().describeSchedule({ namespace, scheduleId: id }))).toBe(NOT_FOUND);
        break;
      case 'endpoint':
      case 'running-history':
        break;
    }
    expect(await historyLength()).toBe(historyBefore);
    expect(await count()).toBe(before);
  });
});
