import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ExecutionAlreadyStartedError } from '../errors.js';
import { defineLibrary } from '../registry/define-library.js';
import { createTestEngine, type TestEngine } from '../testing/test-engine.js';

/**
 * A root may report the open status 'paused' through `executionStatus` (a paused workflow): the
 * execution stays open everywhere (no close time, holds its business id, terminable, its timers
 * still fire), and a closed status claimed by an open root is ignored.
 */
interface JobState {
  held: boolean;
  closed: boolean;
  fired: number;
}

const lib = defineLibrary('openstatus');
const Job = lib.component<JobState>({
  name: 'job',
  lifecycle: (s: JobState) => (s.closed ? 'completed' : 'running'),
  // 'completed' for an open root is a lie the engine must not persist.
  executionStatus: (s: JobState) => (s.closed ? 'terminated' : s.held ? 'paused' : 'completed'),
  terminate(job) {
    job.state.closed = true;
  },
});
const Tick = lib.pureTask<typeof Job, Record<string, never>>({
  name: 'tick',
  component: Job,
  validate: (_ctx, job) => !job.state.closed,
  execute(_ctx, job) {
    job.state.fired++;
  },
});
const library = lib.build({ components: [Job], tasks: [Tick] });

const target = (runId?: string) => ({ type: Job, namespaceId: 'ns', businessId: 'job', ...(runId ? { runId } : {}) });

describe("an open root reporting the execution status 'paused'", () => {
  let t: TestEngine;
  beforeEach(async () => {
    t = await createTestEngine({ libraries: [library] });
  });
  afterEach(async () => {
    await t.stop();
  });

  const start = (requestId: string) =>
    t.engine.start(Job, { namespaceId: 'ns', businessId: 'job' }, {
      requestId,
      init: () => ({ held: false, closed: false, fired: 0 }),
      run: (job, ctx) => void ctx.addTask(job, Tick, {}, { at: new Date(ctx.now.getTime() + 1_000) }),
    });
  const hold = (held: boolean) => t.engine.update(target(), (job) => void (job.state.held = held));

  it('is persisted as paused, stays open (no close time, id held, timers fire) and returns to running', async () => {
    const { runId } = await start('r1');
    expect((await t.engine.describe(target())).status).toBe('running');

    await hold(true);
    const paused = await t.engine.describe(target());
    expect(paused.status).toBe('paused');
    expect(paused.closeTime).toBeNull();
    await expect(start('r2')).rejects.toBeInstanceOf(ExecutionAlreadyStartedError);
    await t.advance(1_000);
    expect(await t.engine.read(target(), (job) => job.state.fired)).toBe(1);

    await hold(false);
    expect(await t.engine.describe(target())).toMatchObject({ status: 'running', closeTime: null, runId });
  });

  it('a paused execution can be terminated and deleted: closed with a close time, its id free', async () => {
    const { runId } = await start('r1');
    await hold(true);
    await t.engine.terminate(target(runId), 'stop');
    const closed = await t.engine.describe(target(runId));
    expect(closed.status).toBe('terminated');
    expect(closed.closeTime).toBeInstanceOf(Date);
    expect((await start('r2')).runId).not.toBe(runId);

    await hold(true);
    await t.engine.delete(target(), 'gone');
    // delete terminates an open (here paused) execution first, as it does a running one.
    expect((await start('r3')).created).toBe(true);
  });
});
