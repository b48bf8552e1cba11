import { createTestEngine, type TestEngine } from '@chasm/core/testing';
import { DEFAULT_WORKFLOW_CONFIG, planWorkflowStart, Workflow, type WorkflowComponent, type WorkflowHistory } from '@chasm/workflow';
import type { MutableContext } from '@chasm/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_WORKFLOW_UPDATE_CONFIG } from '../config.js';
import { InFlightLimitError, InFlightPayloadLimitError, TotalLimitError } from '../errors.js';
import { long } from '@chasm/matching';
import { api, type temporal } from '../proto.js';
import { admitUpdate, findUpdate, registryOf } from './registry.js';
import { updateExtension } from './update-extension.js';
import { UpdateRegistry, WorkflowUpdate } from './update.js';

/**
 * The registry and the extension hooks on the in-memory engine, without a workflow library: the
 * run is given a started workflow task by hand, so admission never schedules one (no tasks).
 */
const NS = 'ns';
const config = { ...DEFAULT_WORKFLOW_UPDATE_CONFIG, maxInFlightUpdates: 3, maxTotalUpdates: 3, rejectedKept: 1 };
const ext = updateExtension({ rejectedKept: config.rejectedKept, maxTotalUpdates: config.maxTotalUpdates });
const target = { type: Workflow, namespaceId: NS, businessId: 'w' };
const request = (updateId: string): temporal.api.update.v1.IRequest => ({ meta: { updateId }, input: { name: 'add' } });
const body = (name: string, value: Uint8Array) => ({ type_url: `type.googleapis.com/temporal.api.update.v1.${name}`, value });

function history(wf: WorkflowComponent, ctx: MutableContext, events: temporal.api.history.v1.IHistoryEvent[]): WorkflowHistory {
  return {
    wf,
    ctx,
    now: ctx.now.getTime(),
    append(ev) {
      events.push(ev);
      return 100 + events.length;
    },
  };
}

const task = (stamp: number, heartbeat = false) => ({ stamp, startedEventId: 10, completedEventId: 11, identity: 'w', heartbeat });

describe('update registry and workflow extension', () => {
  let t: TestEngine;
  beforeEach(async () => {
    t = await createTestEngine({ libraries: [{ name: 'workflow', components: [Workflow], tasks: [] }, { name: 'workflowUpdate', components: [UpdateRegistry, WorkflowUpdate], tasks: [] }] });
    const plan = planWorkflowStart(NS, 'default', { workflowId: 'w', workflowType: { name: 't' }, taskQueue: { name: 'q' } }, DEFAULT_WORKFLOW_CONFIG);
    await t.engine.start(Workflow, { namespaceId: NS, businessId: 'w' }, {
      requestId: 'r',
      init: (ctx) => {
        const s = plan.init(ctx);
        // A started task: admissions ride the next one instead of scheduling (no task types needed).
        s.wft = { scheduledEventId: 2, startedEventId: 3, attempt: 1, transient: false, queueName: 'q', queueKind: 'normal', scheduledTime: 0, startedTime: 0, identity: '', requestId: '', stamp: 1 };
        return s;
      },
    });
  });
  afterEach(async () => {
    await t.stop();
  });

  it('admits, deduplicates by id and enforces the in-flight and total limits', async () => {
    const admit = (id: string) => t.engine.update(target, (wf, ctx) => admitUpdate(wf, ctx, request(id), '', config)).then((r) => r.output.admitted);
    expect(await admit('a')).toBe(true);
    expect(await admit('a')).toBe(false);
    expect(await admit('b')).toBe(true);
    expect(await admit('c')).toBe(true);
    await expect(admit('d')).rejects.toBeInstanceOf(InFlightLimitError);
    await t.engine.read(target, (wf) => {
      expect(registryOf(wf)?.state).toMatchObject({ admitted: ['a', 'b', 'c'], total: 3 });
      expect(wf.fields.extensions.keys()).toEqual(['workflowUpdate']);
    });
    // Settle two (one accepted and completed, one rejected): total counts the first only.
    await t.engine.update(target, (wf, ctx) => {
      const events: temporal.api.history.v1.IHistoryEvent[] = [];
      const h = history(wf, ctx, events);
      ext.applyMessage!(h, { protocolInstanceId: 'a', body: body('Acceptance', api.update.v1.Acceptance.encode({ acceptedRequestMessageId: 'a/request' }).finish()) }, task(1));
      ext.applyMessage!(h, { protocolInstanceId: 'a', body: body('Response', api.update.v1.Response.encode({ outcome: { success: {} } }).finish()) }, task(1));
      ext.applyMessage!(h, { protocolInstanceId: 'b', body: body('Rejection', api.update.v1.Rejection.encode({ failure: { message: 'no' } }).finish()) }, task(1));
      expect(events.map((e) => e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name ?? e.workflowExecutionUpdateCompletedEventAttributes?.acceptedEventId)).toEqual(['add', long(101)]);
    });
    expect(await admit('d')).toBe(true);
    await expect(admit('e')).rejects.toBeInstanceOf(TotalLimitError);
    // At 90% of the total limit the worker is told to continue as new (TOO_MANY_UPDATES = 3).
    await t.engine.read(target, (wf) => expect(ext.continueAsNewReasons!(wf)).toEqual([3]));
  });

  it('refuses an update whose request would exceed the in-flight payload bytes', async () => {
    const small = { ...config, maxInFlightUpdatePayloadBytes: 100 };
    const big = (id: string, n: number): temporal.api.update.v1.IRequest => ({ meta: { updateId: id }, input: { name: 'add', args: { payloads: [{ data: new Uint8Array(n) }] } } });
    await t.engine.update(target, (wf, ctx) => admitUpdate(wf, ctx, big('p1', 40), '', small));
    await expect(t.engine.update(target, (wf, ctx) => admitUpdate(wf, ctx, big('p2', 40), '', small))).rejects.toBeInstanceOf(InFlightPayloadLimitError);
    await expect(t.engine.update(target, (wf, ctx) => admitUpdate(wf, ctx, big('p3', 150), '', small))).rejects.toBeInstanceOf(InFlightPayloadLimitError);
    expect((await t.engine.update(target, (wf, ctx) => admitUpdate(wf, ctx, big('p4', 2), '', small))).output.admitted).toBe(true);
  });

  it('delivers admitted updates as messages, only new ones after a heartbeat, and rejects what the worker ignored', async () => {
    await t.engine.update(target, (wf, ctx) => {
      admitUpdate(wf, ctx, request('x'), '', config);
      admitUpdate(wf, ctx, request('y'), '', config);
    });
    await t.engine.update(target, (wf, ctx) => {
      const msgs = ext.outgoingMessages!(wf, ctx, { stamp: 5, startedEventId: 9, attempt: 1 });
      expect(msgs.map((m) => [m.id, m.protocolInstanceId, Number(m.eventId)])).toEqual([
        ['x/request', 'x', 8],
        ['y/request', 'y', 8],
      ]);
      ext.afterCompletion!(history(wf, ctx, []), task(5, true));
      admitUpdate(wf, ctx, request('z'), '', config);
      const next = wf.state.wftStamp + 1;
      expect(ext.outgoingMessages!(wf, ctx, { stamp: next, startedEventId: 12, attempt: 1 }).map((m) => m.protocolInstanceId)).toEqual(['z']);
      // Not a heartbeat: z was sent on that task and not answered; x and y were sent on task 5.
      ext.afterCompletion!(history(wf, ctx, []), task(next));
      expect(findUpdate(wf, 'z')?.state.status).toBe('rejected');
      expect(findUpdate(wf, 'x')?.state.status).toBe('admitted');
      // Any later task (e.g. a retry) carries every update still admitted.
      expect(ext.outgoingMessages!(wf, ctx, { stamp: next + 1, startedEventId: 14, attempt: 2 }).map((m) => m.protocolInstanceId)).toEqual(['x', 'y']);
      expect(ext.needsWorkflowTask!(wf)).toBe(true);
    });
  });

  it('on close drops unaccepted updates and gives accepted ones a failure outcome', async () => {
    await t.engine.update(target, (wf, ctx) => {
      admitUpdate(wf, ctx, request('acc'), '', config);
      admitUpdate(wf, ctx, request('adm'), '', config);
      ext.applyMessage!(history(wf, ctx, []), { protocolInstanceId: 'acc', body: body('Acceptance', api.update.v1.Acceptance.encode({}).finish()) }, task(1));
      ext.onClose!(wf, ctx, 'completed');
      expect(findUpdate(wf, 'adm')).toBeUndefined();
      const acc = findUpdate(wf, 'acc')!;
      expect(acc.state.status).toBe('completed');
      expect(api.update.v1.Outcome.decode(acc.state.outcome!).failure?.applicationFailureInfo?.type).toBe('AcceptedUpdateCompletedWorkflow');
      expect(registryOf(wf)?.state).toMatchObject({ admitted: [], accepted: [] });
    });
  });

  it('fails the task for a response to an update that was never accepted', async () => {
    await t.engine.update(target, (wf, ctx) => {
      admitUpdate(wf, ctx, request('r'), '', config);
      expect(() =>
        ext.applyMessage!(history(wf, ctx, []), { protocolInstanceId: 'r', body: body('Response', api.update.v1.Response.encode({}).finish()) }, task(1)),
      ).toThrow(/not accepted/);
      expect(ext.applyMessage!(history(wf, ctx, []), { protocolInstanceId: 'r', body: { type_url: 'type.googleapis.com/other.Message' } }, task(1))).toBe(false);
      expect(() =>
        ext.applyMessage!(history(wf, ctx, []), { protocolInstanceId: 'r', body: body('Acceptance', new Uint8Array([0xff, 0xff, 0xff])) }, task(1)),
      ).toThrow(/malformed/);
    });
  });
});
