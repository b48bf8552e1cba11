import { InvalidArgumentError } from '@chasm/core';
import { ManualClock } from '@chasm/core/testing';
import type { AddTaskRequest, AddTaskResult, MatchingService } from '@chasm/matching';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { NexusTaskNotFoundError } from '../errors.js';
import { NexusMetrics } from '../metrics.js';
import { decodeNexusTaskPayload } from './task-payload.js';
import { NexusTaskDispatcher } from './task-dispatcher.js';

/** A matching that records adds and lets the test decide their outcome. */
function fakeMatching() {
  const adds: { req: AddTaskRequest; resolve(r: AddTaskResult): void; reject(e: unknown): void }[] = [];
  const matching = {
    addTask: (req: AddTaskRequest) => new Promise<AddTaskResult>((resolve, reject) => adds.push({ req, resolve, reject })),
  } as unknown as MatchingService;
  return { matching, adds };
}

function setup() {
  const clock = new ManualClock();
  const { matching, adds } = fakeMatching();
  const registry = new Registry();
  const dispatcher = new NexusTaskDispatcher({ matching, clock, logger: pino({ level: 'silent' }), metrics: new NexusMetrics(registry) });
  const request = { startOperation: { service: 's', operation: 'o' } };
  const dispatch = (signal?: AbortSignal) =>
    dispatcher.dispatch({ namespaceId: 'ns', taskQueue: 'q', request, deadline: new Date(clock.now().getTime() + 10_000), ...(signal ? { signal } : {}) });
  const counted = async (outcome: string) => (await registry.getSingleMetric('chasm_nexus_task_dispatches_total')?.get())?.values.find((v) => v.labels['outcome'] === outcome)?.value ?? 0;
  return { clock, adds, dispatcher, dispatch, counted };
}

describe('NexusTaskDispatcher', () => {
  it('adds a sync-only nexus task with the caller deadline, and settles it with the worker answer once', async () => {
    const { adds, dispatcher, dispatch, counted } = setup();
    const result = dispatch();
    const add = adds[0]!;
    expect(add.req).toMatchObject({ namespaceId: 'ns', taskQueue: { name: 'q', kind: 'normal' }, type: 'nexus' });
    expect(add.req.syncOnlyUntil).toBeInstanceOf(Date);
    const id = decodeNexusTaskPayload(add.req.payload) ?? '';
    const token = { namespaceId: 'ns', taskQueue: 'q', taskId: id };
    // No worker has it yet: an answer cannot be for it.
    expect(() => dispatcher.respond(token, { outcome: 'completed', response: {}, identity: 'w' })).toThrow(NexusTaskNotFoundError);
    expect(dispatcher.claim(id, 'ns', 'q')?.request.startOperation?.operation).toBe('o');
    add.resolve({ outcome: 'sync-matched' });
    dispatcher.respond(token, { outcome: 'completed', response: { cancelOperation: {} }, identity: 'w' });
    expect(await result).toEqual({ outcome: 'completed', response: { cancelOperation: {} }, identity: 'w' });
    expect(() => dispatcher.respond(token, { outcome: 'completed', response: {}, identity: 'w' })).toThrow(NexusTaskNotFoundError);
    expect(dispatcher.pendingCount).toBe(0);
    expect(await counted('completed')).toBe(1);
  });

  it('times out at the deadline: no-poller when matching expired it, no-response when a worker kept it', async () => {
    const { clock, adds, dispatcher, dispatch } = setup();
    const expired = dispatch();
    adds[0]!.resolve({ outcome: 'expired' });
    expect(await expired).toEqual({ outcome: 'timeout', stage: 'no-poller' });

    const kept = dispatch();
    const id = decodeNexusTaskPayload(adds[1]!.req.payload) ?? '';
    expect(dispatcher.claim(id, 'ns', 'q')).toBeDefined();
    adds[1]!.resolve({ outcome: 'sync-matched' });
    clock.advance(10_000);
    expect(await kept).toEqual({ outcome: 'timeout', stage: 'no-response' });
    expect(dispatcher.claim(id, 'ns', 'q')).toBeUndefined();
  });

  it('settles canceled when the caller aborts (before or after the add) or the node stops', async () => {
    const { adds, dispatcher, dispatch, counted } = setup();
    const ctl = new AbortController();
    ctl.abort();
    expect(await dispatch(ctl.signal)).toEqual({ outcome: 'canceled' });
    expect(adds).toHaveLength(0);

    const later = new AbortController();
    const aborted = dispatch(later.signal);
    later.abort();
    expect(await aborted).toEqual({ outcome: 'canceled' });
    // The offer is still in matching: a poller that matches it finds nobody waiting.
    expect(dispatcher.claim(decodeNexusTaskPayload(adds[0]!.req.payload) ?? '', 'ns', 'q')).toBeUndefined();

    const stopped = dispatch();
    await dispatcher.stop();
    expect(await stopped).toEqual({ outcome: 'canceled' });
    expect(await counted('canceled')).toBe(3);
  });

  it('rejects with what matching rejects, and counts it as an error', async () => {
    const { adds, dispatch, counted } = setup();
    const result = dispatch();
    adds[0]!.reject(new InvalidArgumentError('task_queue.name', 'is required'));
    await expect(result).rejects.toBeInstanceOf(InvalidArgumentError);
    expect(await counted('error')).toBe(1);
  });
});
