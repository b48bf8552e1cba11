import { ChasmError, encodeRef, NotFoundError, type NamespaceResolver, type RpcCallContext, type RpcMethod } from '@chasm/core';
import { describe, expect, it } from 'vitest';
import type { MatchingService } from '../matching-service.js';
import type { AcceptResult, PolledTask, PollRequest } from '../types.js';
import type { ActivityTaskHandler } from './activity-task-handler.js';
import { activityTaskRouterHandlers } from './activity-task-router.js';
import { encodeActivityTaskPayload, encodeActivityToken, type ActivityToken, type ActivityTokenForm } from './activity-token.js';

const namespaces: NamespaceResolver = { idOf: async (n) => `id-${n}`, nameOf: async (id) => id.slice(3) };
const call: RpcCallContext = { signal: new AbortController().signal, deadline: undefined, metadata: { 'client-name': 'sdk', 'client-version': '9' } };
const refOf = (archetype: string, namespaceId = 'id-default') => ({ namespaceId, businessId: 'b', archetype, runId: 'r', path: '', initialTc: 1, executionTc: 2 });

interface Recorded {
  readonly calls: { method: string; token: ActivityToken; req?: unknown }[];
}

/** A handler that records what the router hands it. */
function fakeHandler(archetype: string, tokenForm: ActivityTokenForm, opts: { byId?: (workflowId: string) => ActivityToken | undefined; polled?: () => object | undefined } = {}): ActivityTaskHandler & Recorded {
  const calls: Recorded['calls'] = [];
  return {
    archetype,
    tokenForm,
    calls,
    async onPolled(token, _polled, poller) {
      calls.push({ method: 'onPolled', token, req: poller });
      return opts.polled ? opts.polled() : { activityId: archetype };
    },
    async complete(token, req) {
      calls.push({ method: 'complete', token, req });
    },
    async fail(token, req) {
      calls.push({ method: 'fail', token, req });
    },
    async cancel(token, req) {
      calls.push({ method: 'cancel', token, req });
    },
    async heartbeat(token, req) {
      calls.push({ method: 'heartbeat', token, req });
      return { cancelRequested: false, activityPaused: true, activityReset: false };
    },
    async tokenById(_ns, workflowId) {
      return opts.byId?.(workflowId);
    },
  };
}

/** Matching that hands the poll the given payloads in turn, until one is accepted. */
function fakeMatching(payloads: Uint8Array[]): MatchingService {
  return {
    async poll(req: PollRequest): Promise<PolledTask | undefined> {
      for (const payload of payloads) {
        const task = { namespaceId: req.namespaceId, taskQueue: req.taskQueue, type: 'activity', payload } as unknown as PolledTask;
        const r: AcceptResult = req.accept ? await req.accept(task) : 'accepted';
        if (r === 'accepted') return task;
      }
      return undefined;
    },
  } as unknown as MatchingService;
}

const code = async (p: Promise<unknown>): Promise<string | undefined> =>
  p.then(
    () => undefined,
    (e: unknown) => (ChasmError.is(e) ? e.code : String(e)),
  );

describe('activity-task router', () => {
  const wf = () => fakeHandler('workflow.workflow', 'ref', { byId: (w) => (w ? { ref: refOf('workflow.workflow'), attempt: 4, stamp: 0 } : undefined) });
  const sa = () => fakeHandler('activity.activity', 'stamped', { byId: (w) => (w ? undefined : { ref: refOf('activity.activity'), attempt: 0, stamp: 0 }) });

  it('provides no method when no handler is bound, and refuses two handlers for one archetype', () => {
    expect(activityTaskRouterHandlers([], fakeMatching([]), namespaces).methods).toEqual({});
    expect(() => activityTaskRouterHandlers([wf(), wf()], fakeMatching([]), namespaces)).toThrow(/two activity task handlers .* 'workflow.workflow'/);
    expect(Object.keys(activityTaskRouterHandlers([wf()], fakeMatching([]), namespaces).methods).sort()).toEqual([
      'PollActivityTaskQueue',
      'RecordActivityTaskHeartbeat',
      'RecordActivityTaskHeartbeatById',
      'RespondActivityTaskCanceled',
      'RespondActivityTaskCanceledById',
      'RespondActivityTaskCompleted',
      'RespondActivityTaskCompletedById',
      'RespondActivityTaskFailed',
      'RespondActivityTaskFailedById',
    ]);
  });

  it('routes each token by its archetype, after the form and namespace checks', async () => {
    const [w, s] = [wf(), sa()];
    const m = activityTaskRouterHandlers([w, s], fakeMatching([]), namespaces).methods;
    const wfToken = encodeActivityToken({ ref: refOf('workflow.workflow'), attempt: 3, stamp: 0 }, 'ref');
    const saToken = encodeActivityToken({ ref: refOf('activity.activity'), attempt: 1, stamp: 6 }, 'stamped');
    await m['RespondActivityTaskCompleted']!({ namespace: 'default', taskToken: wfToken, identity: 'me' }, call);
    expect(w.calls).toEqual([{ method: 'complete', token: { ref: refOf('workflow.workflow'), attempt: 3, stamp: 0 }, req: expect.objectContaining({ identity: 'me' }) }]);
    expect(await m['RecordActivityTaskHeartbeat']!({ namespace: 'default', taskToken: saToken }, call)).toEqual({ cancelRequested: false, activityPaused: true, activityReset: false });
    expect(s.calls[0]).toMatchObject({ method: 'heartbeat', token: { attempt: 1, stamp: 6 } });

    const refused = (method: string, taskToken: Uint8Array, namespace = 'default') => code((m[method] as RpcMethod)({ namespace, taskToken }, call));
    // A token in the other feature's form, of an archetype nobody serves, of another namespace, or garbage.
    expect(await refused('RespondActivityTaskFailed', encodeActivityToken({ ref: refOf('activity.activity'), attempt: 1, stamp: 0 }, 'ref'))).toBe('INVALID_ARGUMENT');
    expect(await refused('RespondActivityTaskFailed', encodeActivityToken({ ref: refOf('workflow.workflow'), attempt: 1, stamp: 0 }, 'stamped'))).toBe('INVALID_ARGUMENT');
    expect(await refused('RespondActivityTaskCanceled', encodeActivityToken({ ref: refOf('tests.store'), attempt: 1, stamp: 0 }, 'stamped'))).toBe('INVALID_ARGUMENT');
    expect(await refused('RespondActivityTaskCompleted', wfToken, 'other')).toBe('INVALID_ARGUMENT');
    expect(await refused('RespondActivityTaskCompleted', encodeRef(refOf('workflow.workflow')))).toBe('INVALID_ARGUMENT');
    expect(await refused('RespondActivityTaskCompleted', new TextEncoder().encode('garbage'))).toBe('INVALID_ARGUMENT');
    expect(w.calls).toHaveLength(1);
    expect(s.calls).toHaveLength(1);
    // A request that names no namespace takes the token's (Temporal's namespace validator does too).
    await (m['RespondActivityTaskCompleted'] as RpcMethod)({ taskToken: wfToken, identity: 'me' }, call);
    expect(w.calls).toHaveLength(2);
  });

  it('routes by-id requests to the handler whose activities the ids address', async () => {
    const [w, s] = [wf(), sa()];
    const m = activityTaskRouterHandlers([w, s], fakeMatching([]), namespaces).methods;
    await m['RespondActivityTaskCompletedById']!({ namespace: 'default', workflowId: 'wf', activityId: 'a', result: { payloads: [] }, identity: 'i' }, call);
    expect(w.calls[0]).toMatchObject({ method: 'complete', token: { attempt: 4 }, req: { result: { payloads: [] }, identity: 'i' } });
    await m['RespondActivityTaskFailedById']!({ namespace: 'default', activityId: 'a', failure: { message: 'x' } }, call);
    expect(s.calls[0]).toMatchObject({ method: 'fail', token: { attempt: 0 }, req: { failure: { message: 'x' }, identity: '', lastHeartbeatDetails: null } });
    expect(await m['RecordActivityTaskHeartbeatById']!({ namespace: 'default', activityId: 'a' }, call)).toMatchObject({ activityPaused: true });
    await m['RespondActivityTaskCanceledById']!({ namespace: 'default', workflowId: 'wf', activityId: 'a', details: null }, call);
    expect(w.calls[1]).toMatchObject({ method: 'cancel' });

    expect(await code(m['RespondActivityTaskCompletedById']!({ namespace: 'default', workflowId: 'wf' }, call))).toBe('INVALID_ARGUMENT');
    // Only workflow activities served: no workflow id is a missing field; otherwise nobody has it.
    const wfOnly = activityTaskRouterHandlers([wf()], fakeMatching([]), namespaces).methods;
    expect(await code(wfOnly['RespondActivityTaskCompletedById']!({ namespace: 'default', activityId: 'a' }, call))).toBe('INVALID_ARGUMENT');
    const nobody = activityTaskRouterHandlers([fakeHandler('workflow.workflow', 'ref')], fakeMatching([]), namespaces).methods;
    expect(await code(nobody['RespondActivityTaskCompletedById']!({ namespace: 'default', workflowId: 'wf', activityId: 'a' }, call))).toBe('NOT_FOUND');
  });

  it('polls: hands each matched task to its feature and drops the ones that do not apply', async () => {
    const gone = fakeHandler('gone.gone', 'ref', {
      polled: () => {
        throw new NotFoundError('component not found');
      },
    });
    const s = sa();
    const payloads = [
      new TextEncoder().encode('garbage'),
      encodeActivityTaskPayload({ ref: refOf('activity.activity', 'id-other'), attempt: 1, stamp: 1 }, 'stamped'), // another namespace
      encodeActivityTaskPayload({ ref: refOf('nobody.nobody'), attempt: 1, stamp: 1 }, 'ref'),
      encodeActivityTaskPayload({ ref: refOf('gone.gone'), attempt: 1, stamp: 0 }, 'ref'),
      encodeActivityTaskPayload({ ref: refOf('activity.activity'), attempt: 2, stamp: 9 }, 'stamped'),
    ];
    const m = activityTaskRouterHandlers([gone, s], fakeMatching(payloads), namespaces).methods;
    expect(await m['PollActivityTaskQueue']!({ namespace: 'default', taskQueue: { name: 'q' }, identity: 'worker-1' }, call)).toEqual({ activityId: 'activity.activity' });
    expect(gone.calls).toHaveLength(1);
    expect(s.calls).toEqual([
      {
        method: 'onPolled',
        token: { ref: refOf('activity.activity'), attempt: 2, stamp: 9 },
        req: { namespace: 'default', namespaceId: 'id-default', identity: 'worker-1', sdkName: 'sdk', sdkVersion: '9' },
      },
    ]);
    // Nothing matched (or nothing accepted): the entirely empty response that means "no task".
    expect(await activityTaskRouterHandlers([s], fakeMatching([]), namespaces).methods['PollActivityTaskQueue']!({ namespace: 'default', taskQueue: { name: 'q' } }, call)).toEqual({});
    const stale = fakeHandler('activity.activity', 'stamped', { polled: () => undefined });
    expect(await activityTaskRouterHandlers([stale], fakeMatching(payloads.slice(4)), namespaces).methods['PollActivityTaskQueue']!({ namespace: 'default', taskQueue: { name: 'q' } }, call)).toEqual({});
    expect(await code(m['PollActivityTaskQueue']!({ namespace: 'default', taskQueue: { name: '' } }, call))).toBe('INVALID_ARGUMENT');
  });
});
