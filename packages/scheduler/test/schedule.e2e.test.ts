import { randomUUID } from 'node:crypto';
import { ScheduleAlreadyRunning, ScheduleNotFoundError, type ScheduleDescription } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  e2eDialects,
  eventually,
  grpcCode,
  nominalOf,
  rfc3339Seconds,
  scheduledWorkflows,
  sleep,
  startHarness,
  Status,
  tsMs,
  type Harness,
} from './helpers.js';

/**
 * The schedule API end to end: the official SDK's ScheduleClient (and the raw WorkflowService
 * where the SDK hides a field) against an in-process server with matching, workflow and
 * scheduler, and a real SDK worker running the workflows the schedules start.
 * Expected behaviour is Temporal's (docs: /work/shared/reference/chasm-libs.md part A).
 */
const ns = 'default';
const uid = (p: string): string => `${p}-${randomUUID().slice(0, 8)}`;
/** A protobuf Duration/Timestamp from seconds (the generated types want Long). */
/** Interval specs as described, with an unset offset read as 0 (the SDK decodes an absent phase as undefined). */
const intervals = (spec: { intervals?: { every: number; offset?: number }[] } | undefined) =>
  spec?.intervals?.map((i) => ({ every: i.every, offset: i.offset ?? 0 }));
const secs = (seconds: number): { seconds: never } => ({ seconds: seconds as never });

describe.each(e2eDialects())('schedules through the SDK ($name)', (dialect) => {
  let h: Harness;
  let drop: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    const db = await dialect.open();
    drop = db.drop;
    h = await startHarness(db.config);
    await h.connection.operatorService.addSearchAttributes({
      namespace: ns,
      searchAttributes: { SchedOwner: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD },
    });
  }, 120_000);
  afterAll(async () => {
    await h?.close();
    await drop?.();
  });

  const startAction = (workflowId: string, workflowType = 'quick') =>
    ({ type: 'startWorkflow', workflowType, taskQueue: h.taskQueue, workflowId }) as const;

  it('GetSystemInfo says schedules are supported', async () => {
    const info = await h.connection.workflowService.getSystemInfo({});
    expect(info.capabilities?.supportsSchedules).toBe(true);
  });

  it('creates, describes, updates and deletes a schedule; an existing id is refused', async () => {
    const scheduleId = uid('crud');
    const before = Date.now();
    const handle = await h.client.schedule.create({
      scheduleId,
      spec: { intervals: [{ every: '1h' }] },
      action: startAction(`${scheduleId}-wf`),
      memo: { owner: 'crud-test' },
      searchAttributes: { SchedOwner: ['crud'] },
    });
    const d = await handle.describe();
    expect(d.scheduleId).toBe(scheduleId);
    expect(intervals(d.spec)).toEqual([{ every: 3_600_000, offset: 0 }]);
    expect(d.action.workflowType).toBe('quick');
    expect(d.action.taskQueue).toBe(h.taskQueue);
    expect(d.action.workflowId).toBe(`${scheduleId}-wf`);
    expect(d.policies.overlap).toBe('SKIP'); // unspecified defaults to SKIP (A.12)
    expect(d.policies.pauseOnFailure).toBe(false);
    expect(d.state.paused).toBe(false);
    expect(d.memo).toEqual({ owner: 'crud-test' });
    expect(d.searchAttributes['SchedOwner']).toEqual(['crud']);
    expect(d.info.numActionsTaken).toBe(0);
    expect(d.info.numActionsMissedCatchupWindow).toBe(0);
    expect(d.info.numActionsSkippedOverlap).toBe(0);
    expect(d.info.runningActions).toEqual([]);
    expect(d.info.recentActions).toEqual([]);
    expect(d.info.createdAt.getTime()).toBeGreaterThanOrEqual(before - 1000);
    expect(d.info.createdAt.getTime()).toBeLessThanOrEqual(Date.now() + 1000);
    // Interval times are aligned to the epoch: the next 10 full hours.
    expect(d.info.nextActionTimes).toHaveLength(10);
    const firstHour = Math.ceil(Date.now() / 3_600_000) * 3_600_000;
    expect(d.info.nextActionTimes.map((t) => t.getTime())).toEqual(Array.from({ length: 10 }, (_, i) => firstHour + i * 3_600_000));

    await expect(
      h.client.schedule.create({ scheduleId, spec: { intervals: [{ every: '1h' }] }, action: startAction(`${scheduleId}-other`) }),
    ).rejects.toBeInstanceOf(ScheduleAlreadyRunning);

    await handle.update((prev) => ({
      ...prev,
      spec: { intervals: [{ every: '2h', offset: '5m' }] },
      policies: { ...prev.policies, overlap: 'ALLOW_ALL' },
      state: { paused: true, note: 'updated' },
    }));
    const u = await handle.describe();
    expect(intervals(u.spec)).toEqual([{ every: 7_200_000, offset: 300_000 }]);
    expect(u.policies.overlap).toBe('ALLOW_ALL');
    expect(u.state.paused).toBe(true);
    expect(u.state.note).toBe('updated');
    expect(u.action.workflowId).toBe(`${scheduleId}-wf`);
    expect(u.info.lastUpdatedAt?.getTime()).toBeGreaterThanOrEqual(d.info.createdAt.getTime());
    expect(u.info.createdAt.getTime()).toBe(d.info.createdAt.getTime());
    // Future times are listed even while paused (A.5), at 2h steps + 5 min.
    expect(u.info.nextActionTimes.length).toBeGreaterThan(0);
    for (const t of u.info.nextActionTimes) expect((t.getTime() - 300_000) % 7_200_000).toBe(0);

    // Search attributes given on update replace the schedule's (A.10).
    await handle.update((prev) => ({ ...prev, searchAttributes: { SchedOwner: ['changed'] } }));
    expect((await handle.describe()).searchAttributes['SchedOwner']).toEqual(['changed']);

    await handle.delete();
    await expect(handle.describe()).rejects.toBeInstanceOf(ScheduleNotFoundError);
    await expect(handle.pause('x')).rejects.toBeInstanceOf(ScheduleNotFoundError);
    // A deleted id can be created again (a new run, A.1).
    const again = await h.client.schedule.create({ scheduleId, spec: { intervals: [{ every: '1h' }] }, action: startAction(`${scheduleId}-wf2`) });
    expect((await again.describe()).action.workflowId).toBe(`${scheduleId}-wf2`);
    await again.delete();
  });

  it('an interval schedule starts workflows named <id>-<nominal time> carrying TemporalScheduledById and TemporalScheduledStartTime', async () => {
    const scheduleId = uid('every1s');
    const wfId = `${scheduleId}-wf`;
    const handle = await h.client.schedule.create({
      scheduleId,
      spec: { intervals: [{ every: '1s' }] },
      action: { ...startAction(wfId), memo: { from: 'action' }, searchAttributes: { SchedOwner: ['action-sa'] } },
      memo: { from: 'schedule' },
      policies: { overlap: 'ALLOW_ALL' },
    });
    let d: ScheduleDescription = await eventually(async () => {
      const x = await handle.describe();
      return x.info.numActionsTaken >= 3 && x;
    }, 20_000, 'three actions taken');
    await handle.pause('enough');
    d = await handle.describe();
    const taken = d.info.numActionsTaken;

    const recent = d.info.recentActions;
    expect(recent.length).toBeGreaterThanOrEqual(3);
    for (const a of recent) {
      expect(a.action.type).toBe('startWorkflow');
      const nominal = nominalOf(a.action.workflow.workflowId, wfId);
      expect(nominal.getTime() % 1000).toBe(0);
      // No jitter: the scheduled (actual) time is the nominal time, and the workflow started at or after it.
      expect(a.scheduledAt.getTime()).toBe(nominal.getTime());
      expect(a.takenAt.getTime()).toBeGreaterThanOrEqual(nominal.getTime() - 50);
      expect(a.action.workflow.firstExecutionRunId).toMatch(/.+/);
    }

    // Every started workflow completes, and visibility finds them by TemporalScheduledById.
    const runs = await eventually(async () => {
      const ws = await scheduledWorkflows(h.client, scheduleId);
      return ws.length >= taken && ws.every((w) => w.status.name === 'COMPLETED') && ws;
    }, 20_000, `all ${taken} scheduled workflows completed and visible`);
    expect(runs).toHaveLength(taken);
    const ids = runs.map((w) => w.workflowId).sort();
    expect(new Set(ids).size).toBe(ids.length);
    const nominals = ids.map((id) => nominalOf(id, wfId).getTime());
    // A 1 s interval with ALLOW_ALL: consecutive seconds, no gaps.
    for (let i = 1; i < nominals.length; i++) expect(nominals[i]! - nominals[i - 1]!).toBe(1000);

    for (const w of runs.slice(0, 3)) {
      const desc = await h.client.workflow.getHandle(w.workflowId).describe();
      const nominal = nominalOf(w.workflowId, wfId);
      expect(desc.type).toBe('quick');
      expect(desc.taskQueue).toBe(h.taskQueue);
      expect(desc.status.name).toBe('COMPLETED');
      expect(desc.searchAttributes['TemporalScheduledById']).toEqual([scheduleId]);
      expect((desc.searchAttributes['TemporalScheduledStartTime'] as Date[] | undefined)?.map((t) => new Date(t).getTime())).toEqual([nominal.getTime()]);
      // The action's memo and search attributes, not the schedule's.
      expect(desc.memo).toEqual({ from: 'action' });
      expect(desc.searchAttributes['SchedOwner']).toEqual(['action-sa']);
      expect(await h.client.workflow.getHandle(w.workflowId).result()).toBe('done');
    }
    // Describe reports closed runs with their final status, and nothing running once all closed (A.12).
    const closed = await eventually(async () => {
      const x = await handle.describe();
      return x.info.runningActions.length === 0 && x;
    }, 10_000, 'no running actions once every run completed');
    const statuses = (closed.raw.info?.recentActions ?? []).map((a) => a.startWorkflowStatus);
    expect(statuses.length).toBeGreaterThanOrEqual(3);
    for (const st of statuses) expect(st).toBe(temporal.api.enums.v1.WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_COMPLETED);
    // The run carries the completion callback that reports back to the schedule (A.7).
    const rawWf = await h.connection.workflowService.describeWorkflowExecution({ namespace: ns, execution: { workflowId: ids[0]! } });
    expect(rawWf.callbacks?.length ?? 0).toBe(1);

    const listed = [];
    for await (const w of h.client.workflow.list({ query: `TemporalScheduledById = '${scheduleId}' AND TemporalScheduledStartTime = '${rfc3339Seconds(nominalOf(ids[0]!, wfId))}'` })) listed.push(w.workflowId);
    expect(listed).toEqual([ids[0]]);
    await handle.delete();
  });

  it('pause and unpause with notes; paused time is not caught up; trigger starts one workflow even while paused', async () => {
    const scheduleId = uid('pause');
    const wfId = `${scheduleId}-wf`;
    const created = Date.now();
    const handle = await h.client.schedule.create({
      scheduleId,
      spec: { intervals: [{ every: '1s' }] },
      action: startAction(wfId),
      // ALLOW_ALL: this test is about pause, not about overlap (which needs completions).
      policies: { overlap: 'ALLOW_ALL' },
      state: { paused: true, note: 'held at creation' },
    });
    let d = await handle.describe();
    expect(d.state.paused).toBe(true);
    expect(d.state.note).toBe('held at creation');
    expect(d.info.nextActionTimes.length).toBeGreaterThan(0); // listed even while paused

    const triggeredAt = Date.now();
    await handle.trigger();
    const trig = await eventually(async () => {
      const ws = await scheduledWorkflows(h.client, scheduleId);
      return ws.length >= 1 && ws;
    }, 15_000, 'the triggered workflow is visible');
    const trigNominal = nominalOf(trig[0]!.workflowId, wfId).getTime();
    expect(trigNominal).toBeGreaterThanOrEqual(Math.floor(triggeredAt / 1000) * 1000 - 1000);
    expect(trigNominal).toBeLessThanOrEqual(Date.now());
    // While paused, ticks of the 1 s interval start nothing: give it at least 3 ticks to misbehave.
    await sleep(Math.max(0, created + 3_000 - Date.now()));
    d = await handle.describe();
    expect(d.state.paused).toBe(true);
    expect(d.info.numActionsTaken).toBe(1);
    expect(await scheduledWorkflows(h.client, scheduleId)).toHaveLength(1);

    const unpausedAt = Date.now();
    await handle.unpause('running again');
    d = await handle.describe();
    expect(d.state.paused).toBe(false);
    expect(d.state.note).toBe('running again');
    const after = await eventually(async () => {
      const ws = await scheduledWorkflows(h.client, scheduleId);
      return ws.length >= 3 && ws;
    }, 15_000, 'automatic starts after unpause');
    const autos = after.map((w) => nominalOf(w.workflowId, wfId).getTime()).filter((t) => t !== trigNominal);
    // Nothing from the paused period is caught up (A.5 step 3).
    for (const t of autos) expect(t).toBeGreaterThanOrEqual(Math.floor(unpausedAt / 1000) * 1000 - 1000);

    await handle.pause('stopped');
    d = await handle.describe();
    expect(d.state.paused).toBe(true);
    expect(d.state.note).toBe('stopped');
    await handle.delete();
  });

  it('keepOriginalWorkflowId: the started workflow keeps the action id without the time suffix', async () => {
    const scheduleId = uid('keep-id');
    const wfId = `${scheduleId}-wf`;
    await h.connection.workflowService.createSchedule({
      namespace: ns,
      scheduleId,
      requestId: randomUUID(),
      schedule: {
        spec: { interval: [{ interval: secs(3600) }] },
        action: { startWorkflow: { workflowId: wfId, workflowType: { name: 'quick' }, taskQueue: { name: h.taskQueue } } },
        policies: { keepOriginalWorkflowId: true },
        state: { paused: true },
      },
    });
    const handle = h.client.schedule.getHandle(scheduleId);
    expect((await handle.describe()).raw.schedule?.policies?.keepOriginalWorkflowId).toBe(true);
    await handle.trigger();
    const ws = await eventually(async () => {
      const x = await scheduledWorkflows(h.client, scheduleId);
      return x.length >= 1 && x;
    }, 15_000, 'the triggered workflow is visible');
    expect(ws.map((w) => w.workflowId)).toEqual([wfId]);
    expect(await h.client.workflow.getHandle(wfId).result()).toBe('done');
    await handle.delete();
  });

  it('backfills a past range: one workflow per nominal time, both ends inclusive', async () => {
    const scheduleId = uid('backfill');
    const wfId = `${scheduleId}-wf`;
    const handle = await h.client.schedule.create({
      scheduleId,
      spec: { intervals: [{ every: '1m' }] },
      action: startAction(wfId),
      policies: { overlap: 'SKIP' },
    });
    const end = new Date(Math.floor(Date.now() / 60_000) * 60_000 - 10 * 60_000);
    const start = new Date(end.getTime() - 5 * 60_000);
    await handle.backfill([{ start, end, overlap: 'ALLOW_ALL' }]);
    const expected = Array.from({ length: 6 }, (_, i) => start.getTime() + i * 60_000);
    const inRange = async (): Promise<number[]> =>
      (await scheduledWorkflows(h.client, scheduleId))
        .map((w) => nominalOf(w.workflowId, wfId).getTime())
        .filter((t) => t >= start.getTime() - 60_000 && t <= end.getTime() + 60_000)
        .sort((a, b) => a - b);
    await eventually(async () => (await inRange()).length >= 6, 20_000, 'six backfilled workflows');
    // All completed before counting again: nothing else in (or next to) the range may appear.
    await eventually(async () => {
      const ws = await scheduledWorkflows(h.client, scheduleId);
      return ws.every((w) => w.status.name === 'COMPLETED') && ws;
    }, 20_000, 'backfilled workflows completed');
    expect(await inRange()).toEqual(expected);
    // The schedule counts a start when the invoker records it, a commit after the start itself:
    // a workflow can be visible (even completed) a moment before its schedule has counted it.
    const d = await eventually(async () => {
      const desc = await handle.describe();
      return desc.info.numActionsTaken >= 6 && desc;
    }, 20_000, 'six actions counted');
    expect(d.info.numActionsTaken).toBeGreaterThanOrEqual(6);
    await handle.delete();
  });

  it('limited actions: remainingActions 2 starts two workflows and stops at zero', async () => {
    const scheduleId = uid('limited');
    const wfId = `${scheduleId}-wf`;
    const handle = await h.client.schedule.create({
      scheduleId,
      spec: { intervals: [{ every: '1s' }] },
      action: startAction(wfId),
      policies: { overlap: 'ALLOW_ALL' },
      state: { remainingActions: 2 },
    });
    const d = await eventually(async () => {
      const x = await handle.describe();
      return x.info.numActionsTaken >= 2 && x.state.remainingActions === 0 && x;
    }, 15_000, 'two actions taken and none remaining');
    expect(d.info.nextActionTimes).toEqual([]);
    const doneAt = Date.now();
    // Three more ticks: none may start anything.
    await sleep(3_000 - (Date.now() - doneAt));
    const later = await handle.describe();
    expect(later.info.numActionsTaken).toBe(2);
    expect(later.state.remainingActions).toBe(0);
    const ws = await eventually(async () => {
      const x = await scheduledWorkflows(h.client, scheduleId);
      return x.length >= 2 && x;
    }, 10_000, 'two workflows visible');
    expect(ws).toHaveLength(2);
    await handle.delete();
  });

  it('lists and counts schedules with a visibility query (TemporalSchedulePaused, a custom search attribute, ScheduleId)', async () => {
    const owner = uid('team');
    const ids = [uid('list-a'), uid('list-b'), uid('list-c')];
    for (const [i, scheduleId] of ids.entries()) {
      await h.client.schedule.create({
        scheduleId,
        spec: { intervals: [{ every: '1h' }] },
        action: startAction(`${scheduleId}-wf`),
        memo: { i },
        searchAttributes: { SchedOwner: [i < 2 ? owner : `${owner}-other`] },
        state: { paused: i === 1, note: i === 1 ? 'paused for listing' : '' },
      });
    }
    const list = async (query: string): Promise<string[]> => {
      const out: string[] = [];
      for await (const s of h.client.schedule.list({ query })) out.push(s.scheduleId);
      return out.sort();
    };
    await eventually(async () => (await list(`SchedOwner = '${owner}'`)).length === 2, 15_000, 'two schedules listed by SchedOwner');
    expect(await list(`SchedOwner = '${owner}'`)).toEqual([ids[0], ids[1]].sort());
    expect(await list(`SchedOwner = '${owner}' AND TemporalSchedulePaused = true`)).toEqual([ids[1]]);
    expect(await list(`SchedOwner = '${owner}' AND TemporalSchedulePaused = false`)).toEqual([ids[0]]);
    expect((await list('TemporalSchedulePaused = true')).filter((id) => ids.includes(id))).toEqual([ids[1]]);
    expect(await list(`ScheduleId = '${ids[2]}'`)).toEqual([ids[2]]);

    const summaries = [];
    for await (const s of h.client.schedule.list({ query: `SchedOwner = '${owner}'` })) summaries.push(s);
    const paused = summaries.find((s) => s.scheduleId === ids[1])!;
    expect(paused.state.paused).toBe(true);
    expect(paused.state.note).toBe('paused for listing');
    expect(paused.action?.workflowType).toBe('quick');
    expect(paused.memo).toEqual({ i: 1 });
    expect(paused.searchAttributes?.['SchedOwner']).toEqual([owner]);
    expect(intervals(paused.spec)).toEqual([{ every: 3_600_000, offset: 0 }]);

    const count = await h.connection.workflowService.countSchedules({ namespace: ns, query: `SchedOwner = '${owner}'` });
    expect(Number(count.count)).toBe(2);
    const countPaused = await h.connection.workflowService.countSchedules({ namespace: ns, query: `SchedOwner = '${owner}' AND TemporalSchedulePaused = true` });
    expect(Number(countPaused.count)).toBe(1);

    // A system attribute that is not a schedule's: refused (A.12).
    const bad = await h.connection.workflowService.listSchedules({ namespace: ns, query: `WorkflowType = 'quick'` }).catch((e: unknown) => e);
    expect(grpcCode(bad)).toBe(Status.INVALID_ARGUMENT);

    // A deleted schedule leaves the list.
    for (const id of ids) await h.client.schedule.getHandle(id).delete();
    await eventually(async () => (await list(`SchedOwner = '${owner}'`)).length === 0, 15_000, 'deleted schedules leave the list');
  });

  it('ListScheduleMatchingTimes follows a non-UTC zone across DST: a missing local time is skipped, a repeated one fires twice', async () => {
    const spring = uid('dst-spring');
    await h.client.schedule.create({
      scheduleId: spring,
      spec: { cronExpressions: ['CRON_TZ=America/New_York 30 2 * * *'] },
      action: startAction(`${spring}-wf`),
      state: { paused: true },
    });
    const times = async (scheduleId: string, from: string, to: string): Promise<string[]> => {
      const r = await h.connection.workflowService.listScheduleMatchingTimes({
        namespace: ns,
        scheduleId,
        startTime: secs(Date.parse(from) / 1000),
        endTime: secs(Date.parse(to) / 1000),
      });
      return (r.startTime ?? []).map((t) => new Date(tsMs(t)).toISOString());
    };
    // 2026-03-08: clocks jump 02:00 EST -> 03:00 EDT; 02:30 does not exist that day.
    expect(await times(spring, '2026-03-06T00:00:00Z', '2026-03-11T00:00:00Z')).toEqual([
      '2026-03-06T07:30:00.000Z',
      '2026-03-07T07:30:00.000Z',
      '2026-03-09T06:30:00.000Z',
      '2026-03-10T06:30:00.000Z',
    ]);
    // The cron string is stored in canonical form: a structured calendar plus the zone (A.1).
    const d = await h.client.schedule.getHandle(spring).describe();
    expect(d.spec.timezone).toBe('America/New_York');
    expect(d.spec.calendars).toHaveLength(1);
    expect(d.spec.calendars?.[0]?.hour).toEqual([{ start: 2, end: 2, step: 1 }]);
    expect(d.spec.calendars?.[0]?.minute).toEqual([{ start: 30, end: 30, step: 1 }]);

    const fall = uid('dst-fall');
    await h.client.schedule.create({
      scheduleId: fall,
      spec: { cronExpressions: ['CRON_TZ=America/New_York 30 1 * * *'] },
      action: startAction(`${fall}-wf`),
      state: { paused: true },
    });
    // 2026-11-01: clocks fall back 02:00 EDT -> 01:00 EST; 01:30 happens twice.
    expect(await times(fall, '2026-10-31T00:00:00Z', '2026-11-03T00:00:00Z')).toEqual([
      '2026-10-31T05:30:00.000Z',
      '2026-11-01T05:30:00.000Z',
      '2026-11-01T06:30:00.000Z',
      '2026-11-02T06:30:00.000Z',
    ]);
    // The range excludes its start and includes its end (A.12).
    expect(await times(fall, '2026-11-01T05:30:00Z', '2026-11-01T06:30:00Z')).toEqual(['2026-11-01T06:30:00.000Z']);
    // start_time and end_time are required.
    const missing = await h.connection.workflowService.listScheduleMatchingTimes({ namespace: ns, scheduleId: fall }).catch((e: unknown) => e);
    expect(grpcCode(missing)).toBe(Status.INVALID_ARGUMENT);
    const unknown = await h.connection.workflowService
      .listScheduleMatchingTimes({ namespace: ns, scheduleId: uid('nope'), startTime: secs(0), endTime: secs(3600) })
      .catch((e: unknown) => e);
    expect(grpcCode(unknown)).toBe(Status.NOT_FOUND);
    await h.client.schedule.getHandle(spring).delete();
    await h.client.schedule.getHandle(fall).delete();
  });

  it('an update with a stale conflict token is refused with FAILED_PRECONDITION and changes nothing', async () => {
    const scheduleId = uid('token');
    const handle = await h.client.schedule.create({ scheduleId, spec: { intervals: [{ every: '1h' }] }, action: startAction(`${scheduleId}-wf`) });
    const first = await h.connection.workflowService.describeSchedule({ namespace: ns, scheduleId });
    expect(first.conflictToken?.length).toBeGreaterThan(0);
    // Another writer updates in between (the SDK's update sends the then-current token).
    await handle.update((prev) => ({ ...prev, spec: { intervals: [{ every: '2h' }] } }));
    const current = await h.connection.workflowService.describeSchedule({ namespace: ns, scheduleId });
    expect(Buffer.from(current.conflictToken!).equals(Buffer.from(first.conflictToken!))).toBe(false);

    const stale = await h.connection.workflowService
      .updateSchedule({
        namespace: ns,
        scheduleId,
        requestId: randomUUID(),
        conflictToken: first.conflictToken!,
        schedule: { ...first.schedule, spec: { interval: [{ interval: secs(60) }] } },
      })
      .catch((e: unknown) => e);
    expect(grpcCode(stale)).toBe(Status.FAILED_PRECONDITION);
    const unchanged = await handle.describe();
    expect(intervals(unchanged.spec)).toEqual([{ every: 7_200_000, offset: 0 }]);

    // With the current token the same update goes through.
    await h.connection.workflowService.updateSchedule({
      namespace: ns,
      scheduleId,
      requestId: randomUUID(),
      conflictToken: current.conflictToken!,
      schedule: { ...current.schedule, spec: { interval: [{ interval: secs(60) }] } },
    });
    expect(intervals((await handle.describe()).spec)).toEqual([{ every: 60_000, offset: 0 }]);
    await handle.delete();
  });

  it('rejects bad input with INVALID_ARGUMENT naming the field, and stores nothing', async () => {
    const action = (id: string) => ({
      startWorkflow: { workflowId: `${id}-wf`, workflowType: { name: 'quick' }, taskQueue: { name: h.taskQueue } },
    });
    const hour = { interval: [{ interval: secs(3600) }] };
    const cases: { name: string; field: RegExp; req: (id: string) => temporal.api.workflowservice.v1.ICreateScheduleRequest }[] = [
      { name: 'an unparsable cron string', field: /cron/i, req: (id) => ({ schedule: { spec: { cronString: ['not a cron at all'] }, action: action(id) } }) },
      { name: 'a zero interval', field: /interval/i, req: (id) => ({ schedule: { spec: { interval: [{ interval: secs(0) }] }, action: action(id) } }) },
      { name: 'a negative interval', field: /interval/i, req: (id) => ({ schedule: { spec: { interval: [{ interval: secs(-5) }] }, action: action(id) } }) },
      {
        name: 'jitter longer than the interval',
        field: /jitter/i,
        req: (id) => ({ schedule: { spec: { interval: [{ interval: secs(10) }], jitter: secs(60) }, action: action(id) } }),
      },
      { name: 'an unknown time zone', field: /zone/i, req: (id) => ({ schedule: { spec: { ...hour, timezoneName: 'Mars/Olympus_Mons' }, action: action(id) } }) },
      {
        name: 'an end time before the start time',
        field: /end|start/i,
        req: (id) => ({ schedule: { spec: { ...hour, startTime: secs(2_000_000_000), endTime: secs(1_900_000_000) }, action: action(id) } }),
      },
      { name: 'a missing workflow type', field: /type/i, req: (id) => ({ schedule: { spec: hour, action: { startWorkflow: { workflowId: `${id}-wf`, taskQueue: { name: h.taskQueue } } } } }) },
    ];
    const failures: string[] = [];
    for (const c of cases) {
      const scheduleId = uid('bad');
      const err = await h.connection.workflowService
        .createSchedule({ namespace: ns, scheduleId, requestId: randomUUID(), identity: 'test', ...c.req(scheduleId) })
        .then(() => undefined, (e: unknown) => e);
      const message = String((err as { details?: string } | undefined)?.details ?? (err as Error | undefined)?.message ?? '');
      if (grpcCode(err) !== Status.INVALID_ARGUMENT) failures.push(`${c.name}: expected INVALID_ARGUMENT, got ${err === undefined ? 'success' : `code ${grpcCode(err)} ${message}`}`);
      else if (!c.field.test(message)) failures.push(`${c.name}: message does not name the field (${c.field}): ${message}`);
      const described = await h.connection.workflowService.describeSchedule({ namespace: ns, scheduleId }).then(() => undefined, (e: unknown) => e);
      if (grpcCode(described) !== Status.NOT_FOUND) failures.push(`${c.name}: describe afterwards should be NOT_FOUND, got ${described === undefined ? 'a schedule' : grpcCode(described)}`);
    }
    // A missing request id is refused as well (A.1).
    const noRequestId = uid('bad');
    const e1 = await h.connection.workflowService.createSchedule({ namespace: ns, scheduleId: noRequestId, schedule: { spec: hour, action: action(noRequestId) } }).then(() => undefined, (e: unknown) => e);
    if (grpcCode(e1) !== Status.INVALID_ARGUMENT) failures.push(`missing request id: expected INVALID_ARGUMENT, got ${e1 === undefined ? 'success' : grpcCode(e1)}`);

    // A backfill whose start is after its end, on an existing schedule: refused, and nothing changes.
    const scheduleId = uid('bad-backfill');
    await h.client.schedule.create({ scheduleId, spec: { intervals: [{ every: '1h' }] }, action: { type: 'startWorkflow', workflowType: 'quick', taskQueue: h.taskQueue, workflowId: `${scheduleId}-wf` } });
    const before = await h.connection.workflowService.describeSchedule({ namespace: ns, scheduleId });
    const now = Math.floor(Date.now() / 1000);
    const e2 = await h.connection.workflowService
      .patchSchedule({ namespace: ns, scheduleId, requestId: randomUUID(), patch: { backfillRequest: [{ startTime: secs(now - 600), endTime: secs(now - 7200) }] } })
      .then(() => undefined, (e: unknown) => e);
    const m2 = String((e2 as { details?: string } | undefined)?.details ?? '');
    if (grpcCode(e2) !== Status.INVALID_ARGUMENT) failures.push(`backfill start after end: expected INVALID_ARGUMENT, got ${e2 === undefined ? 'success' : grpcCode(e2)}`);
    else if (!/backfill|start|end/i.test(m2)) failures.push(`backfill start after end: message does not name the field: ${m2}`);
    const after = await h.connection.workflowService.describeSchedule({ namespace: ns, scheduleId });
    if (!Buffer.from(after.conflictToken ?? []).equals(Buffer.from(before.conflictToken ?? []))) failures.push('backfill start after end: the conflict token changed');
    if (tsMs(after.info?.updateTime) !== tsMs(before.info?.updateTime)) failures.push('backfill start after end: update time changed');
    await h.client.schedule.getHandle(scheduleId).delete();
    expect(failures).toEqual([]);
  });
});
