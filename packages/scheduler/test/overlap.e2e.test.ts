import { randomUUID } from 'node:crypto';
import type { ScheduleHandle, ScheduleOverlapPolicy, WorkflowExecutionDescription } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { e2eDialects, eventually, nextSecondAfter, nominalOf, rfc3339Seconds, scheduledWorkflows, startHarness, type Harness } from './helpers.js';

/**
 * Overlap policies and what depends on the scheduler learning that a workflow closed
 * (completion callbacks): SKIP resuming after a close, BUFFER_ONE / BUFFER_ALL releasing
 * buffered starts, CANCEL_OTHER / TERMINATE_OTHER starting the replacement once the earlier
 * run closed, pause-on-failure, and the last completion result passed to the next run.
 * Expected behaviour: /work/shared/reference/chasm-libs.md A.6 and A.8.
 *
 * The schedules fire every second between a start and an end time a few seconds ahead, so the
 * number of nominal times is fixed; the workflow (`blocker`) runs until signalled.
 */
describe.each(e2eDialects())('overlap policies and completions ($name)', (dialect) => {
  let h: Harness;
  let drop: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    const db = await dialect.open();
    drop = db.drop;
    h = await startHarness(db.config);
  }, 120_000);
  afterAll(async () => {
    await h?.close();
    await drop?.();
  });

  interface Bounded {
    readonly handle: ScheduleHandle;
    readonly scheduleId: string;
    readonly wfId: string;
    /** The nominal times, one per second. */
    readonly times: Date[];
    /** The workflow id a nominal time starts. */
    idAt(i: number): string;
  }

  async function bounded(overlap: ScheduleOverlapPolicy, ticks: number, workflowType = 'blocker'): Promise<Bounded> {
    const scheduleId = `${overlap}-${randomUUID().slice(0, 8)}`;
    const wfId = `${scheduleId}-wf`;
    const start = nextSecondAfter(2_000);
    const times = Array.from({ length: ticks }, (_, i) => new Date(start.getTime() + i * 1000));
    const handle = await h.client.schedule.create({
      scheduleId,
      spec: { intervals: [{ every: '1s' }], startAt: start, endAt: times[ticks - 1]! },
      action: { type: 'startWorkflow', workflowType, taskQueue: h.taskQueue, workflowId: wfId },
      policies: { overlap },
    });
    return { handle, scheduleId, wfId, times, idAt: (i) => `${wfId}-${rfc3339Seconds(times[i]!)}` };
  }

  /** Describe of a workflow, once it exists (and matches `until`). */
  async function wf(id: string, until: (d: WorkflowExecutionDescription) => boolean = () => true, timeoutMs = 15_000): Promise<WorkflowExecutionDescription> {
    return eventually(async () => {
      const d = await h.client.workflow.getHandle(id).describe();
      return until(d) && d;
    }, timeoutMs, `workflow ${id}`);
  }

  async function finish(id: string): Promise<WorkflowExecutionDescription> {
    await h.client.workflow.getHandle(id).signal('finish');
    await h.client.workflow.getHandle(id).result();
    return wf(id, (d) => d.status.name === 'COMPLETED');
  }

  /** Deletes the schedule and terminates whatever it left running. */
  async function cleanUp(b: Bounded): Promise<void> {
    await b.handle.delete().catch(() => undefined);
    for (const w of await scheduledWorkflows(h.client, b.scheduleId)) {
      if (w.status.name === 'RUNNING') await h.client.workflow.getHandle(w.workflowId).terminate('test clean-up').catch(() => undefined);
    }
  }

  /** Waits until the schedule has processed its last nominal time (its counters account for every tick). */
  async function counters(b: Bounded, done: (taken: number, skipped: number) => boolean, timeoutMs = 20_000) {
    return eventually(async () => {
      const d = await b.handle.describe();
      return done(d.info.numActionsTaken, d.info.numActionsSkippedOverlap) && d;
    }, timeoutMs, `counters of ${b.scheduleId}`);
  }

  it('SKIP: ticks while a run is open are skipped and counted; after it closes the next tick starts a new run', async () => {
    const b = await bounded('SKIP', 6);
    try {
      const first = await wf(b.idAt(0), (d) => d.status.name === 'RUNNING');
      let d = await counters(b, (_t, skipped) => skipped >= 2);
      expect(d.info.numActionsTaken).toBe(1);
      expect(d.info.runningActions.map((a) => a.workflow.workflowId)).toEqual([b.idAt(0)]);
      const closed = await finish(b.idAt(0));
      // Every tick is accounted for: started or skipped.
      d = await counters(b, (taken, skipped) => taken + skipped === 6 && Date.now() > b.times[5]!.getTime() + 1000);
      expect(d.info.numActionsTaken).toBeGreaterThanOrEqual(2);
      const runs = await eventually(async () => {
        const ws = await scheduledWorkflows(h.client, b.scheduleId);
        return ws.length === d.info.numActionsTaken && ws;
      }, 10_000, 'all runs visible');
      const later = runs.filter((w) => w.workflowId !== b.idAt(0));
      expect(later.length).toBeGreaterThanOrEqual(1);
      // Only ticks after the first run closed started anything.
      for (const w of later) expect(nominalOf(w.workflowId, b.wfId).getTime()).toBeGreaterThan(closed.closeTime!.getTime() - 1000);
      expect(first.runId).toBeTruthy();
    } finally {
      await cleanUp(b);
    }
  });

  it('ALLOW_ALL: every tick starts a run, all running at once, nothing skipped', async () => {
    const b = await bounded('ALLOW_ALL', 3);
    try {
      const d = await counters(b, (taken) => taken === 3);
      expect(d.info.numActionsSkippedOverlap).toBe(0);
      expect(d.info.runningActions.map((a) => a.workflow.workflowId).sort()).toEqual([b.idAt(0), b.idAt(1), b.idAt(2)].sort());
      for (let i = 0; i < 3; i++) expect((await wf(b.idAt(i))).status.name).toBe('RUNNING');
      for (let i = 0; i < 3; i++) await finish(b.idAt(i));
    } finally {
      await cleanUp(b);
    }
  });

  it('BUFFER_ONE: the first overlapping tick waits, the rest are skipped; it starts when the open run closes', async () => {
    const b = await bounded('BUFFER_ONE', 4);
    try {
      await wf(b.idAt(0), (d) => d.status.name === 'RUNNING');
      let d = await counters(b, (_t, skipped) => skipped >= 2);
      expect(d.info.numActionsSkippedOverlap).toBe(2);
      expect(d.info.numActionsTaken).toBe(1);
      const closed = await finish(b.idAt(0));
      // The buffered tick is the first overlapping one (nominal time + 1 s), started after the close.
      const second = await wf(b.idAt(1), (x) => x.status.name === 'RUNNING');
      expect(second.startTime.getTime()).toBeGreaterThanOrEqual(closed.closeTime!.getTime());
      await finish(b.idAt(1));
      d = await counters(b, (taken) => taken === 2);
      expect(d.info.numActionsSkippedOverlap).toBe(2);
      const runs = await scheduledWorkflows(h.client, b.scheduleId);
      expect(runs.map((w) => w.workflowId).sort()).toEqual([b.idAt(0), b.idAt(1)].sort());
    } finally {
      await cleanUp(b);
    }
  });

  it('BUFFER_ALL: every overlapping tick waits and they run one after another, in order', async () => {
    const b = await bounded('BUFFER_ALL', 4);
    try {
      await wf(b.idAt(0), (d) => d.status.name === 'RUNNING');
      // Let all four ticks pass while the first run is open.
      let d = await eventually(async () => {
        const x = await b.handle.describe();
        return Date.now() > b.times[3]!.getTime() + 500 && x;
      }, 15_000, 'last tick passed');
      expect(d.info.numActionsTaken).toBe(1);
      expect(d.info.numActionsSkippedOverlap).toBe(0);
      let prevClose = (await finish(b.idAt(0))).closeTime!;
      for (let i = 1; i < 4; i++) {
        const run = await wf(b.idAt(i), (x) => x.status.name === 'RUNNING');
        expect(run.startTime.getTime()).toBeGreaterThanOrEqual(prevClose.getTime());
        prevClose = (await finish(b.idAt(i))).closeTime!;
      }
      d = await counters(b, (taken) => taken === 4);
      expect(d.info.numActionsSkippedOverlap).toBe(0);
    } finally {
      await cleanUp(b);
    }
  });

  for (const [policy, closedAs] of [
    ['CANCEL_OTHER', 'CANCELLED'],
    ['TERMINATE_OTHER', 'TERMINATED'],
  ] as const) {
    it(`${policy}: a new tick ${closedAs === 'CANCELLED' ? 'cancels' : 'terminates'} the open run and starts once it closed`, async () => {
      const b = await bounded(policy, 3);
      try {
        const first = await wf(b.idAt(0), (d) => d.status.name === 'RUNNING');
        // The last tick's run ends up the only one open.
        const last = await wf(b.idAt(2), (d) => d.status.name === 'RUNNING', 20_000);
        const d = await counters(b, (taken) => taken >= 2);
        expect(d.info.numActionsSkippedOverlap).toBe(0);
        expect(d.info.runningActions.map((a) => a.workflow.workflowId)).toEqual([b.idAt(2)]);
        const a = await wf(b.idAt(0));
        expect(a.status.name).toBe(closedAs);
        expect(a.runId).toBe(first.runId);
        // The middle tick either ran and was replaced in turn, or was itself replaced before it started (A.6).
        const middle = await h.client.workflow.getHandle(b.idAt(1)).describe().catch(() => undefined);
        if (middle) expect(middle.status.name).toBe(closedAs);
        const started = [a, ...(middle ? [middle] : []), last];
        expect(d.info.numActionsTaken).toBe(started.length);
        // Each replacement started only after the run before it had closed.
        for (let i = 1; i < started.length; i++) expect(started[i]!.startTime.getTime()).toBeGreaterThanOrEqual(started[i - 1]!.closeTime!.getTime());
        await finish(b.idAt(2));
      } finally {
        await cleanUp(b);
      }
    });
  }

  it('pause-on-failure: a failed run pauses the schedule with a note naming the workflow', async () => {
    const scheduleId = `pof-${randomUUID().slice(0, 8)}`;
    const wfId = `${scheduleId}-wf`;
    const handle = await h.client.schedule.create({
      scheduleId,
      spec: { intervals: [{ every: '1s' }] },
      action: { type: 'startWorkflow', workflowType: 'failing', taskQueue: h.taskQueue, workflowId: wfId },
      policies: { pauseOnFailure: true },
    });
    try {
      const d = await eventually(async () => {
        const x = await handle.describe();
        return x.state.paused && x;
      }, 20_000, 'paused by a failure');
      const m = /^paused, workflow failed: (.+)$/.exec(d.state.note ?? '');
      expect(m, `note: ${d.state.note}`).not.toBeNull();
      const failed = await h.client.workflow.getHandle(m![1]!).describe();
      expect(failed.status.name).toBe('FAILED');
      nominalOf(m![1]!, wfId);
      expect(d.policies.pauseOnFailure).toBe(true);
    } finally {
      await handle.delete().catch(() => undefined);
    }
  });

  it("each run gets the previous run's result as its last completion result", async () => {
    const scheduleId = `lcr-${randomUUID().slice(0, 8)}`;
    const wfId = `${scheduleId}-wf`;
    const handle = await h.client.schedule.create({
      scheduleId,
      spec: { intervals: [{ every: '1s' }] },
      action: { type: 'startWorkflow', workflowType: 'counter', taskQueue: h.taskQueue, workflowId: wfId },
    });
    try {
      const runs = await eventually(async () => {
        const ws = await scheduledWorkflows(h.client, scheduleId);
        const done = ws.filter((w) => w.status.name === 'COMPLETED');
        return done.length >= 3 && done;
      }, 20_000, 'three completed runs');
      await handle.pause('enough');
      const ordered = runs.map((w) => w.workflowId).sort((x, y) => nominalOf(x, wfId).getTime() - nominalOf(y, wfId).getTime());
      const results = await Promise.all(ordered.map((id) => h.client.workflow.getHandle(id).result() as Promise<number>));
      expect(results).toEqual(results.map((_, i) => i + 1));
    } finally {
      await handle.delete().catch(() => undefined);
    }
  });
});
