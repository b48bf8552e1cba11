import { ChasmError, ErrorCode, WORKFLOW_SERVICE, type ComponentRef, type ServiceClient } from '@chasm/core';
import { createTestEngine, type TestEngine } from '@chasm/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { createBatchLibrary } from './batch-library.js';
import { Batch, batchTarget, type BatchState, type BatchTarget } from './batch.js';
import { processTaskType, ProcessBatch, type ProcessDeps } from './batch.tasks.js';

/**
 * The processing task is delivered at least once: after a kill -9 the task whose step already
 * committed can still be in the table next to the task that step armed, and run again with the
 * same stamp. It must not apply or record that step a second time. (CI once ended a
 * 1,000-workflow batch "complete" with 400 never reached: two chains of tasks each dropped a
 * slice from `pending` per step.)
 */

/**
 * A WorkflowService that terminates each run once (NOT_FOUND after, as for a closed run). The
 * first call for a run in `held` waits until `release()`, so the test decides when the step in
 * flight may end.
 */
function terminatingService(held: ReadonlySet<string>) {
  const calls: string[] = [];
  const terminated = new Set<string>();
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const services: ServiceClient = {
    async call<Res>(service: string, method: string, request: object): Promise<Res> {
      expect(service).toBe(WORKFLOW_SERVICE);
      expect(method).toBe('TerminateWorkflowExecution');
      const id = (request as { workflowExecution: BatchTarget }).workflowExecution.workflowId;
      const first = !calls.includes(id);
      calls.push(id);
      if (first && held.has(id)) await gate;
      if (terminated.has(id)) throw new ChasmError(ErrorCode.NotFound, `workflow execution already completed: ${id}`);
      terminated.add(id);
      return {} as Res;
    },
  };
  return { services, calls, terminated, release };
}

function initialState(targets: readonly BatchTarget[], rps: number): BatchState {
  return {
    jobId: 'job', namespace: 'default', kind: 'terminate', operation: null, reason: 'test', identity: 'test',
    query: '', listQuery: '', executions: [...targets], rps, state: 'running', startTime: 0, closeTime: null,
    total: targets.length, complete: 0, failure: 0, pending: [...targets], pageToken: null, exhausted: true,
    stamp: 0, stopReason: '', stopIdentity: '',
  };
}

async function until<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('the batch processing task, run again after its step committed', () => {
  let t: TestEngine | undefined;
  let release: (() => void) | undefined;
  afterEach(async () => {
    release?.();
    await t?.stop();
    t = undefined;
  });

  it('does nothing: each execution is called once, reached, and counted once', { timeout: 30_000 }, async () => {
    const targets = Array.from({ length: 12 }, (_, i) => ({ workflowId: `wf-${i}`, runId: `run-${i}` }));
    // The second slice's calls wait, so the chain cannot move past step 1 while the old task runs again.
    const svc = terminatingService(new Set(targets.slice(6).map((x) => x.workflowId)));
    release = svc.release;
    const deps: ProcessDeps = { services: svc.services, config: { pageSize: 1000, concurrency: 6 } };
    t = await createTestEngine({ libraries: [createBatchLibrary(deps)] });
    // rps 6: two slices of six.
    const { ref } = await t.engine.start(Batch, { namespaceId: 'ns', businessId: 'job' }, {
      requestId: 'r1',
      init: () => initialState(targets, 6),
      run: (root, ctx) => void ctx.addTask(root, ProcessBatch, { stamp: root.state.stamp }),
    });
    const read = (): Promise<BatchState> => t!.engine.read(batchTarget('ns', 'job'), (c) => ({ ...c.state }));
    await until('step 1 recorded', async () => ((await read()).complete === 6 ? true : undefined));
    await until('step 2 in flight', async () => (svc.calls.length === 12 ? true : undefined));

    // The task armed with stamp 0 (whose step is recorded) runs again, as after a crash.
    const task = processTaskType(deps);
    await task.execute({ engine: t.engine, signal: new AbortController().signal, now: () => new Date() }, ref as ComponentRef, { stamp: 0 }, { scheduledAt: null, taskId: 'x' });
    svc.release();

    const s = await until('the batch to close', async () => {
      const st = await read();
      return st.state === 'running' ? undefined : st;
    });
    expect(s.state).toBe('completed');
    expect([...svc.terminated].sort()).toEqual(targets.map((x) => x.workflowId).sort());
    expect(svc.calls).toHaveLength(12);
    expect(s.complete).toBe(12);
    expect(s.failure).toBe(0);
    expect(s.total).toBe(12);
  });
});
