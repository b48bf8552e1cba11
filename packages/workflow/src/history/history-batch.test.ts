import { describe, expect, it } from 'vitest';
import { long, msToDuration, msToTimestamp } from '@chasm/matching';
import { HistoryMsg, api, type HistoryEvent } from '../proto.js';
import { event } from './events.js';
import { encodeEvents, historyBatchCodec } from './history-batch.js';

const input = api.common.v1.Payloads.decode(
  api.common.v1.Payloads.encode({ payloads: [{ metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from('"x"') }] }).finish(),
);

/** Events as the writers build them: plain objects, a computed attributes key, spreads. */
function startBatch(workflowId: string): HistoryEvent[] {
  const now = 1_796_563_744_512;
  return [
    {
      ...event('workflowExecutionStartedEventAttributes', {
        workflowId,
        workflowType: { name: 'helloActivity' },
        taskQueue: { name: 'q', kind: 1 },
        input,
        workflowTaskTimeout: msToDuration(10_000),
        identity: 'me',
        attempt: 1,
      }),
      eventId: long(1),
      eventTime: msToTimestamp(now),
    },
    {
      ...event('workflowTaskScheduledEventAttributes', { taskQueue: { name: 'q', kind: 1 }, startToCloseTimeout: msToDuration(10_000), attempt: 1 }),
      eventId: long(2),
      eventTime: msToTimestamp(now),
    },
  ];
}
const started = (): HistoryEvent => startBatch('wf')[0]!;

const same = (events: HistoryEvent[]): void => {
  const expected = Buffer.from(HistoryMsg.encode({ events }).finish());
  expect(Buffer.from(encodeEvents(events)).toString('hex')).toBe(expected.toString('hex'));
};

describe('historyBatchCodec', () => {
  it('encodes plain event objects to the same bytes as a direct encode, and leaves them as they were', () => {
    const batch = startBatch('wf-1');
    const before = JSON.stringify(batch);
    const bytes = historyBatchCodec.encode(batch);
    expect(Buffer.from(bytes).equals(Buffer.from(HistoryMsg.encode({ events: batch }).finish()))).toBe(true);
    // The instances are the encoder's own copies: the writers' objects see no prototype defaults.
    expect(JSON.stringify(batch)).toBe(before);
    expect(Object.getPrototypeOf(batch[0])).toBe(Object.prototype);
    const decoded = historyBatchCodec.decode(bytes);
    expect(decoded.map((e) => Number(e.eventId))).toEqual([1, 2]);
    expect(decoded[0]?.workflowExecutionStartedEventAttributes?.workflowId).toBe('wf-1');
    expect(Buffer.from(decoded[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0]?.data ?? []).toString()).toBe('"x"');
  });

  it('encodes decoded batches (message instances) unchanged', () => {
    const bytes = historyBatchCodec.encode(startBatch('wf-2'));
    const decoded = HistoryMsg.decode(bytes).events;
    expect(Buffer.from(historyBatchCodec.encode([...decoded])).equals(Buffer.from(bytes))).toBe(true);
  });
});

describe('encodeEvents', () => {
  it('writes the bytes of the generated encoder for plain events and for decoded instances', () => {
    const batch: HistoryEvent[] = [
      started(),
      {
        ...event('workflowTaskScheduledEventAttributes', { taskQueue: { name: 'q', kind: 1 }, startToCloseTimeout: msToDuration(10_000), attempt: 1 }),
        eventId: long(2),
        eventTime: msToTimestamp(1_796_563_744_513),
      },
    ];
    same(batch);
    same([...HistoryMsg.decode(HistoryMsg.encode({ events: batch }).finish()).events]);
    same([]);
  });

  it('skips what the generated encoder skips: zero ids, false flags, empty lists, nulls', () => {
    same([{ ...started(), eventId: long(0), version: 0 as never, taskId: long(0), workerMayIgnore: false, links: [], userMetadata: null, eventType: 0 }]);
    same([{ ...started(), version: long(7), taskId: 5 as never, workerMayIgnore: true, eventType: 1 }]);
  });

  it('writes the fields numbered after the attributes in number order, whatever the key order', () => {
    const ev: HistoryEvent = {
      links: [{ workflowEvent: { namespace: 'ns', workflowId: 'w', runId: 'r' } }, { workflowEvent: { namespace: 'ns2' } }],
      userMetadata: { summary: input.payloads![0]! },
      workerMayIgnore: true,
      ...started(),
    };
    same([ev]);
  });

  it('writes every attributes member that is set, in number order (not a valid event, but the same bytes)', () => {
    const ev: HistoryEvent = {
      ...event('workflowTaskScheduledEventAttributes', { attempt: 2 }),
      ...started(),
    };
    same([ev]);
  });

  it('hands a message with a field kind it has no plan for (packed enums) or a key that is no field to protobufjs', () => {
    const withPacked: HistoryEvent = {
      ...event('workflowTaskStartedEventAttributes', { scheduledEventId: long(2), identity: 'w', suggestContinueAsNewReasons: [1, 2] }),
      eventId: long(3),
    };
    same([withPacked, started()]);
    expect(Buffer.from(encodeEvents([withPacked])).includes(Buffer.from([0x42, 0x02, 0x01, 0x02]))).toBe(true);
    same([{ ...started(), attributes: 'workflowExecutionStartedEventAttributes' } as HistoryEvent]);
  });

  it('writes attributes with maps, doubles, string lists, durations and nested failures', () => {
    const payload = input.payloads![0]!;
    same([
      {
        ...event('workflowExecutionStartedEventAttributes', {
          workflowId: 'wf',
          memo: { fields: { a: payload, b: payload } },
          header: { fields: { h: payload } },
          searchAttributes: { indexedFields: { CustomKeywordField: payload } },
          retryPolicy: { backoffCoefficient: 2, maximumAttempts: 3, nonRetryableErrorTypes: ['A', 'B'], initialInterval: msToDuration(1_000) },
          continuedFailure: { message: 'outer', cause: { message: 'inner', applicationFailureInfo: { type: 'T', nonRetryable: true } } },
          attempt: 0,
          cronSchedule: '',
        }),
        eventId: long(1),
        eventTime: msToTimestamp(1_796_563_744_512),
      },
      {
        ...event('workflowTaskFailedEventAttributes', {
          scheduledEventId: long(2),
          startedEventId: 3 as never,
          cause: 5,
          failure: { message: 'boom', stackTrace: 'at x', cause: { message: 'why', cause: { message: 'deeper' } } },
          identity: 'me',
        }),
        eventId: long(4),
        eventType: 12,
      },
    ]);
  });
});
