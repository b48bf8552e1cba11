import { randomUUID } from 'node:crypto';
import { Client } from '@temporalio/client';
import { NativeConnection, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { temporal } from '@temporalio/proto';
import { testDatabaseConfigs } from '@chasm/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleTestWorkflows, quietRuntime, until } from './e2e-helpers.js';
import type * as wf from './workflows/index.js';
import { useHandWorker } from './hand-worker.js';

/**
 * Search attributes carried by workflow task completions (issue 15): an upsert the SDK sends
 * with an unregistered or wrongly typed attribute fails the workflow task with
 * BAD_SEARCH_ATTRIBUTES and nothing of the completion is stored (the SDK's worker retries it);
 * attributes over the (small, configured) size limits fail the task and terminate the run, as
 * Temporal's `failWorkflow` path; continue-as-new and child starts are checked the same way.
 * PGlite and Postgres.
 */

const { CommandType, EventType, IndexedValueType, WorkflowTaskFailedCause, WorkflowExecutionStatus } = temporal.api.enums.v1;
type Command = temporal.api.command.v1.ICommand;
type Payload = temporal.api.common.v1.IPayload;
const namespace = 'default';
const utf8 = new TextEncoder();
const json = (v: unknown): Payload => ({ metadata: { encoding: utf8.encode('json/plain') }, data: utf8.encode(JSON.stringify(v)) });
const BAD_SA = WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_BAD_SEARCH_ATTRIBUTES;

const settings = { workflow: { searchAttributeValueMaxBytes: 64, searchAttributesTotalMaxBytes: 400 } };

const upsert = (fields: Record<string, Payload>): Command => ({
  commandType: CommandType.COMMAND_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES,
  upsertWorkflowSearchAttributesCommandAttributes: { searchAttributes: { indexedFields: fields } },
});

describe.each(testDatabaseConfigs('chasm_wf_sa_commands'))('search attributes on commands on $name', (dialect) => {
  const hand = useHandWorker(dialect, { settings, idPrefix: 'sa' });
  const { svc, history, status, startAndPoll, complete } = hand;
  let client: Client;
  let native: NativeConnection;
  let bundle: WorkflowBundleWithSourceMap;

  beforeAll(async () => {
    quietRuntime();
    bundle = await bundleTestWorkflows();
    client = new Client({ connection: hand.connection() });
    native = await NativeConnection.connect({ address: hand.server().address });
    await hand.connection().operatorService.addSearchAttributes({
      namespace,
      searchAttributes: { SaKeyword: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD, SaInt: IndexedValueType.INDEXED_VALUE_TYPE_INT, SaOther: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD },
    });
  }, 60_000);
  afterAll(async () => {
    await native?.close();
  });

  const sdkCases: [string, Record<string, string[]>, string][] = [
    ['an unregistered attribute', { NotRegistered: ['x'] }, 'search attribute NotRegistered is not defined'],
    ['a string for an Int attribute', { SaInt: ['twelve'] }, 'invalid value for search attribute SaInt of type Int'],
  ];
  it.each(sdkCases)('an SDK workflow upserting %s: its task fails with BAD_SEARCH_ATTRIBUTES, nothing of it stored', async (_what, attributes, message) => {
    const taskQueue = `sa-sdk-${randomUUID()}`;
    const workflowId = `sa-sdk-${randomUUID()}`;
    const worker = await Worker.create({ connection: native, namespace, taskQueue, workflowBundle: bundle });
    await worker.runUntil(async () => {
      await client.workflow.start<typeof wf.upsertGiven>('upsertGiven', { taskQueue, workflowId, args: [attributes] });
      const failed = await until('the workflow task failed', async () =>
        (await history(workflowId)).find((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED),
      );
      expect(failed.workflowTaskFailedEventAttributes?.cause).toBe(BAD_SA);
      expect(failed.workflowTaskFailedEventAttributes?.failure?.message).toContain(message);
      const types = (await history(workflowId)).map((e) => e.eventType);
      expect(types).not.toContain(EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES);
      expect(types).not.toContain(EventType.EVENT_TYPE_TIMER_STARTED);
      expect(await status(workflowId)).toBe(WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING);
      await svc().terminateWorkflowExecution({ namespace, workflowExecution: { workflowId }, reason: 'test over' });
    });
  });

  it('an SDK workflow upserting a registered attribute of its type completes', async () => {
    const taskQueue = `sa-sdk-${randomUUID()}`;
    const worker = await Worker.create({ connection: native, namespace, taskQueue, workflowBundle: bundle });
    await worker.runUntil(async () => {
      const r = await client.workflow.execute<typeof wf.upsertGiven>('upsertGiven', { taskQueue, workflowId: `sa-ok-${randomUUID()}`, args: [{ SaInt: [12], SaKeyword: ['k'] }] });
      expect(r).toBe('upserted');
    });
  });

  const refused: [string, Command, string][] = [
    ['an upsert with no attributes', { commandType: CommandType.COMMAND_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES, upsertWorkflowSearchAttributesCommandAttributes: {} }, 'SearchAttributes is not set on command.'],
    ['an upsert with an empty set', upsert({}), 'IndexedFields is empty on command.'],
    ['an upsert of a system attribute', upsert({ StartTime: json('2024-01-01T00:00:00Z') }), "StartTime attribute can't be set in SearchAttributes"],
    ['an upsert of a bad Datetime', upsert({ SaKeyword: json('k'), TemporalScheduledStartTime: json('not a time') }), 'of type Datetime'],
    [
      'a continue-as-new with an unregistered attribute',
      {
        commandType: CommandType.COMMAND_TYPE_CONTINUE_AS_NEW_WORKFLOW_EXECUTION,
        continueAsNewWorkflowExecutionCommandAttributes: { workflowType: { name: 'wf' }, searchAttributes: { indexedFields: { Nope: json('x') } } },
      },
      'invalid SearchAttributes on ContinueAsNewWorkflowExecutionCommand: search attribute Nope is not defined',
    ],
    [
      'a child start with a wrongly typed attribute',
      {
        commandType: CommandType.COMMAND_TYPE_START_CHILD_WORKFLOW_EXECUTION,
        startChildWorkflowExecutionCommandAttributes: {
          workflowId: `child-${randomUUID()}`,
          workflowType: { name: 'wf' },
          searchAttributes: { indexedFields: { SaInt: json(true) } },
        },
      },
      'invalid SearchAttributes on StartChildWorkflowCommand: invalid value for search attribute SaInt of type Int',
    ],
  ];

  it.each(refused)('%s fails the task with BAD_SEARCH_ATTRIBUTES and stores nothing of the completion', async (_what, cmd, message) => {
    const { workflowId, token } = await startAndPoll();
    // A good command first: it is rolled back with the rest.
    const err = await complete(token, [upsert({ SaKeyword: json('before') }), cmd]);
    expect(err.code).toBe(3);
    expect(err.details).toContain(message);
    const events = await history(workflowId);
    expect(events.map((e) => e.eventType)).toEqual([
      EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED,
      EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED,
      EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED,
      EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED,
    ]);
    expect(events[3]?.workflowTaskFailedEventAttributes?.cause).toBe(BAD_SA);
    expect(await status(workflowId)).toBe(WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING);
    const described = await svc().describeWorkflowExecution({ namespace, execution: { workflowId } });
    expect(Object.keys(described.workflowExecutionInfo?.searchAttributes?.indexedFields ?? {})).toEqual([]);
  });

  it.each([
    ['a value over limit.searchAttributesSizeOfValue', [upsert({ SaKeyword: json('x'.repeat(100)) })], 'search attribute SaKeyword value of size 102: exceeds size limit 64'],
    [
      "the run's attributes merged with the upsert over limit.searchAttributesTotalSize",
      [upsert({ SaKeyword: json('a'.repeat(60)), SaOther: json('b'.repeat(60)) }), upsert({ TemporalChangeVersion: json(['c'.repeat(60)]) }), upsert({ TemporalScheduledById: json('d'.repeat(60)), BinaryChecksums: json(['e'.repeat(50)]) })],
      'total size of search attributes',
    ],
  ] as const)('%s fails the task with BAD_SEARCH_ATTRIBUTES and terminates the run', async (_what, commands, message) => {
    const { workflowId, token } = await startAndPoll();
    const err = await complete(token, [...commands]);
    expect(err.code).toBe(3);
    expect(err.details).toContain(message);
    const events = await history(workflowId);
    const failed = events.find((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED);
    expect(failed?.workflowTaskFailedEventAttributes?.cause).toBe(BAD_SA);
    expect(events.map((e) => e.eventType)).not.toContain(EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES);
    const terminated = events.at(-1);
    expect(terminated?.eventType).toBe(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED);
    expect(terminated?.workflowExecutionTerminatedEventAttributes?.reason).toContain(message);
    expect(await status(workflowId)).toBe(WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_TERMINATED);
  });

  it('accepts upserts up to the limits', async () => {
    const { workflowId, token } = await startAndPoll();
    expect(await complete(token, [upsert({ SaKeyword: json('a'.repeat(60)) }), upsert({ SaOther: json('b'.repeat(60)), SaInt: json(7) })])).toMatchObject({ code: 0 });
    const types = (await history(workflowId)).map((e) => e.eventType);
    expect(types.filter((t) => t === EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES)).toHaveLength(2);
  });
});
