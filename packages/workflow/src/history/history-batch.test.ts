import { describe, expect, it } from 'vitest';
import { long, msToDuration, msToTimestamp } from '@chasm/matching';
import { HistoryMsg, api, type HistoryEvent } from '../proto.js';
import { event } from './events.js';
import { historyBatchCodec } from './history-batch.js';

/** Events as the writers build them: plain objects, a computed attributes key, spreads. */
function startBatch(workflowId: string): HistoryEvent[] {
  const now = 1_796_563_744_512;
  const input = api.common.v1.Payloads.decode(
    api.common.v1.Payloads.encode({ payloads: [{ metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from('"x"') }] }).finish(),
  );
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
