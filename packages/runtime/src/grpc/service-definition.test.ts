import { PRE_ENCODED_FIELDS } from '@chasm/core';
import { describe, expect, it } from 'vitest';
import { lookupType, proto } from './proto-root.js';
import { serviceMethods } from './service-definition.js';

const WORKFLOW_SERVICE = 'temporal.api.workflowservice.v1.WorkflowService';
const method = (name: string) => serviceMethods(WORKFLOW_SERVICE).find((m) => m.method === name)!.definition;
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/**
 * Responses are encoded by the fields they have (`encodeProtoMessage`, ADR 0068): the bytes must
 * be those of `encode(fromObject(value))` for what handlers return — plain objects in canonical
 * form, message instances, and the forms only fromObject translates (enum names, int64 strings).
 */
describe('responseSerialize', () => {
  const payload = { metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from('"x"') };
  const cases: [string, Record<string, unknown>][] = [
    ['StartWorkflowExecution', { runId: 'r-1', started: true, eagerWorkflowTask: null }],
    [
      'PollWorkflowTaskQueue',
      {
        taskToken: Buffer.from([1, 2, 3]),
        workflowExecution: { workflowId: 'w', runId: 'r' },
        workflowType: { name: 'hello' },
        previousStartedEventId: 0,
        startedEventId: 3,
        attempt: 1,
        backlogCountHint: 0,
        scheduledTime: { seconds: 1_796_563_744, nanos: 512_000_000 },
        startedTime: { seconds: 1_796_563_744, nanos: 0 },
        queries: {},
        messages: [],
        workflowExecutionTaskQueue: { name: 'q', kind: 1 },
      },
    ],
    [
      'PollActivityTaskQueue',
      {
        taskToken: Buffer.from('token'),
        workflowNamespace: 'default',
        workflowType: { name: 'hello' },
        workflowExecution: { workflowId: 'w', runId: 'r' },
        activityType: { name: 'greet' },
        activityId: '5',
        header: { fields: { h: payload } },
        input: { payloads: [payload, { ...payload, data: Buffer.alloc(0) }] },
        scheduleToCloseTimeout: { seconds: 0, nanos: 0 },
        startToCloseTimeout: { seconds: 10 },
        attempt: 1,
        retryPolicy: { backoffCoefficient: 2, maximumAttempts: 0, nonRetryableErrorTypes: ['A'] },
      },
    ],
    // Only fromObject's translations: an enum by name, an int64 as a string.
    ['PollWorkflowTaskQueue', { startedEventId: 3, workflowExecutionTaskQueue: { name: 'q', kind: 'TASK_QUEUE_KIND_STICKY' } }],
    ['PollWorkflowTaskQueue', { startedEventId: '42', workflowExecutionTaskQueue: { name: 'q', kind: 2 } }],
    // A key that is no field of the response: ignored, as fromObject ignores it.
    ['StartWorkflowExecution', { runId: 'r-2', notAField: 1 }],
  ];

  it.each(cases)('%s: the bytes of encode(fromObject(value))', (name, value) => {
    const def = method(name);
    const type = lookupType(`temporal.api.workflowservice.v1.${name}Response`);
    expect(hex(def.responseSerialize(value))).toBe(hex(type.encode(type.fromObject(value)).finish()));
  });

  it('encodes message instances as they are, and appends pre-encoded fields', () => {
    const def = method('GetWorkflowExecutionHistory');
    const history = proto.temporal.api.history.v1.History.encode({ events: [{ eventId: 1 as never, eventType: 1 }] }).finish();
    const value = { rawHistory: [], nextPageToken: Buffer.alloc(0), archived: false, [PRE_ENCODED_FIELDS]: { history } };
    const type = proto.temporal.api.workflowservice.v1.GetWorkflowExecutionHistoryResponse;
    const decoded = type.decode(def.responseSerialize(value));
    expect(Number(decoded.history?.events?.[0]?.eventId)).toBe(1);
    const instance = type.decode(type.encode({ nextPageToken: Buffer.from([9]), archived: true }).finish());
    expect(hex(def.responseSerialize(instance))).toBe(hex(type.encode(instance).finish()));
  });
});
