import { createTestEngine, type TestEngine } from '@chasm/core/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { event } from '../history/events.js';
import { long } from '@chasm/matching';
import { EventType, HistoryMsg } from '../proto.js';
import { batchKeysFrom, HistoryWriter, lastEvent, readHistory, readHistoryBytes } from './history-writer.js';
import { batchKey } from '../history/history-batch.js';
import { Workflow, type WorkflowState } from './workflow.js';
import { initRunState } from './start-run.js';
import { Activity } from '../activity/activity.js';

const NS = 'ns';
const library = { name: 'workflow', components: [Workflow, Activity], tasks: [] };

function state(runId: string): WorkflowState {
  return initRunState({ namespaceId: NS, started: { workflowId: 'w', workflowType: { name: 't' }, taskQueue: { name: 'q' } }, requestId: 'r' }, runId, 0);
}

describe('HistoryWriter', () => {
  let t: TestEngine;
  beforeEach(async () => {
    t = await createTestEngine({ libraries: [library] });
  });
  afterEach(async () => {
    await t.stop();
  });
  const target = { type: Workflow, namespaceId: NS, businessId: 'w' };

  it('appends dense ids and writes one batch per transaction', async () => {
    await t.engine.start(Workflow, { namespaceId: NS, businessId: 'w' }, { requestId: 'r', init: (ctx) => state(ctx.key.runId) });
    await t.engine.update(target, (wf, ctx) => {
      const w = new HistoryWriter(wf, ctx);
      w.append(event('workflowExecutionStartedEventAttributes', { workflowType: { name: 't' } }));
      w.append(event('workflowTaskScheduledEventAttributes', { attempt: 1 }));
      w.commit();
    });
    await t.engine.update(target, (wf, ctx) => {
      const w = new HistoryWriter(wf, ctx);
      w.append(event('workflowTaskStartedEventAttributes', { scheduledEventId: long(2) }));
      w.commit();
    });
    await t.engine.read(target, (wf) => {
      expect(wf.fields.history.keys().sort()).toEqual(['0000000001', '0000000003']);
      expect(readHistory(wf).map((e) => Number(e.eventId))).toEqual([1, 2, 3]);
      expect(readHistory(wf, 2, 2).map((e) => e.eventType)).toEqual([EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED]);
      expect(Number(lastEvent(wf)?.eventId)).toBe(3);
      expect(wf.state.nextEventId).toBe(4);
      expect(wf.state.historySizeBytes).toBeGreaterThan(0);
      // The encoded form decodes to the same events: whole batches, a batch cut in the middle,
      // and transient events appended.
      const ids = (bytes: Uint8Array) => HistoryMsg.decode(bytes).events.map((e) => Number(e.eventId));
      expect(ids(readHistoryBytes(wf, 1))).toEqual([1, 2, 3]);
      expect(ids(readHistoryBytes(wf, 2))).toEqual([2, 3]);
      expect(ids(readHistoryBytes(wf, 3))).toEqual([3]);
      expect(ids(readHistoryBytes(wf, 4))).toEqual([]);
      const extra = { ...event('workflowTaskScheduledEventAttributes', { attempt: 2 }), eventId: long(4) };
      const withExtra = HistoryMsg.decode(readHistoryBytes(wf, 2, [extra])).events;
      expect(withExtra.map((e) => e.eventType)).toEqual([
        EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED,
        EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED,
        EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED,
      ]);
      expect(HistoryMsg.decode(readHistoryBytes(wf, 1)).toJSON()).toEqual(HistoryMsg.fromObject({ events: readHistory(wf) }).toJSON());
    });
  });

  it('two writers in one transaction share its batch (a settled speculative task and the completion: one row); a later transaction starts its own', async () => {
    await t.engine.start(Workflow, { namespaceId: NS, businessId: 'w' }, { requestId: 'r', init: (ctx) => state(ctx.key.runId) });
    await t.engine.update(target, (wf, ctx) => {
      const a = new HistoryWriter(wf, ctx);
      a.append(event('workflowExecutionStartedEventAttributes', {}));
      a.commit();
      const size = wf.state.historySizeBytes;
      const b = new HistoryWriter(wf, ctx);
      b.append(event('workflowTaskScheduledEventAttributes', { attempt: 1 }));
      b.append(event('workflowTaskStartedEventAttributes', { scheduledEventId: long(2) }));
      b.commit();
      // The sizes of concatenated `History` messages add up.
      expect(wf.state.historySizeBytes).toBe(size + HistoryMsg.encode({ events: readHistory(wf, 2) }).finish().length);
    });
    await t.engine.update(target, (wf, ctx) => {
      const w = new HistoryWriter(wf, ctx);
      w.append(event('workflowTaskCompletedEventAttributes', { scheduledEventId: long(2), startedEventId: long(3) }));
      w.commit();
    });
    await t.engine.read(target, (wf) => {
      expect(wf.fields.history.keys().sort()).toEqual(['0000000001', '0000000004']);
      expect(readHistory(wf).map((e) => Number(e.eventId))).toEqual([1, 2, 3, 4]);
      expect(wf.state.historySizeBytes).toBe(HistoryMsg.encode({ events: readHistory(wf) }).finish().length);
    });
  });

  it('buffers external events while a task is started and patches started ids on flush', async () => {
    await t.engine.start(Workflow, { namespaceId: NS, businessId: 'w' }, { requestId: 'r', init: (ctx) => state(ctx.key.runId) });
    await t.engine.update(target, (wf, ctx) => {
      const w = new HistoryWriter(wf, ctx);
      w.append(event('workflowExecutionStartedEventAttributes', {}));
      wf.state.wft = {
        scheduledEventId: 2, startedEventId: 3, attempt: 1, transient: false, queueName: 'q', queueKind: 'normal',
        scheduledTime: 0, startedTime: 0, identity: '', requestId: '', stamp: 1,
      };
      expect(w.external(event('workflowExecutionSignaledEventAttributes', { signalName: 's' }))).toBeUndefined();
      w.external(event('activityTaskStartedEventAttributes', { scheduledEventId: long(5) }));
      w.external(event('activityTaskCompletedEventAttributes', { scheduledEventId: long(5), startedEventId: long(0) }), { startedIsPrevious: true });
      expect(wf.state.buffered).toHaveLength(3);
      wf.state.wft = null;
      expect(w.flushBuffered()).toBe(true);
      w.commit();
      const events = readHistory(wf);
      expect(events.map((e) => Number(e.eventId))).toEqual([1, 2, 3, 4]);
      expect(Number(events[3]!.activityTaskCompletedEventAttributes?.startedEventId)).toBe(3);
      expect(wf.state.buffered).toEqual([]);
    });
  });
});

describe('batchKeysFrom', () => {
  const keys = [1, 3, 6, 10].map(batchKey);
  const shuffled = [keys[2]!, keys[0]!, keys[3]!, keys[1]!];
  it('picks the batches that may hold events >= the id, in event order, whatever the keys’ order', () => {
    for (const k of [keys, shuffled]) {
      expect(batchKeysFrom(k, 0)).toEqual(keys);
      expect(batchKeysFrom(k, 1)).toEqual(keys);
      expect(batchKeysFrom(k, 2)).toEqual(keys);
      expect(batchKeysFrom(k, 3)).toEqual(keys.slice(1));
      expect(batchKeysFrom(k, 4)).toEqual(keys.slice(1));
      expect(batchKeysFrom(k, 7)).toEqual(keys.slice(2));
      expect(batchKeysFrom(k, 10)).toEqual(keys.slice(3));
      expect(batchKeysFrom(k, 99)).toEqual(keys.slice(3));
    }
    expect(batchKeysFrom([], 5)).toEqual([]);
  });
});
