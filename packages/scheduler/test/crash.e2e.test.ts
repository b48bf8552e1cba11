import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { freePort, type ServerProcess, restartableDatabaseConfigs } from '@chasm/core/testing';
import { pluginPath, spawnRuntime } from '@chasm/runtime/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { bundleTestWorkflows, eventually, nextSecondAfter, nominalOf, quietRuntime, rfc3339Seconds, scheduledWorkflows } from './helpers.js';

/**
 * Crash test: a schedule fires every second for 30 s on a server in a child process (the
 * runtime CLI with matching, workflow and scheduler loaded by path). The server is killed with
 * SIGKILL twice while it fires, and restarted on the same store and port each time (well within
 * the catch-up window); an SDK worker in this process runs the workflows throughout. Afterwards
 * every nominal time of the range must have started exactly one workflow: consecutive seconds,
 * no gap, no duplicate. Overlap is ALLOW_ALL so that a run whose completion was in flight at a
 * crash cannot make a tick be skipped legitimately.
 */
const SECONDS = 30;

const stores = restartableDatabaseConfigs('chasm_sched_crash');

const packages = ['@chasm/matching', '@chasm/workflow', '@chasm/scheduler'].map((p) => pluginPath(p, import.meta.url));

describe.each(stores)('a firing schedule survives SIGKILL on $name', (kind) => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
  });

  it(`starts exactly one workflow per second for ${SECONDS} s across two kill -9s`, { timeout: 180_000 }, async () => {
    quietRuntime();
    const { config: database, drop } = await kind.open();
    cleanups.push(drop);
    const port = await freePort();
    const spawn = (): Promise<ServerProcess> => spawnRuntime({ database, port, packages, logLevel: 'error' });
    let server = await spawn();
    cleanups.push(() => server.kill9());
    const bundle = await bundleTestWorkflows();

    const native = await NativeConnection.connect({ address: server.address });
    cleanups.push(() => native.close());
    const taskQueue = `crash-${randomUUID()}`;
    const worker = await Worker.create({ connection: native, namespace: 'default', taskQueue, workflowBundle: bundle });
    const running = worker.run();
    cleanups.push(async () => {
      worker.shutdown();
      await running;
    });
    const connection = await Connection.connect({ address: server.address });
    cleanups.push(() => connection.close());
    const client = new Client({ connection, namespace: 'default' });

    const scheduleId = `crash-${randomUUID().slice(0, 8)}`;
    const wfId = `${scheduleId}-wf`;
    const start = nextSecondAfter(2_000);
    const end = new Date(start.getTime() + (SECONDS - 1) * 1000);
    const handle = await client.schedule.create({
      scheduleId,
      spec: { intervals: [{ every: '1s' }], startAt: start, endAt: end },
      action: { type: 'startWorkflow', workflowType: 'quick', taskQueue, workflowId: wfId },
      policies: { overlap: 'ALLOW_ALL' },
    });

    const at = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, Math.max(0, start.getTime() + ms - Date.now())));
    for (const killAt of [8_000, 18_000]) {
      await at(killAt);
      await server.kill9();
      server = await spawn();
    }

    // Wait for the range to end and every started run to be visible and complete.
    const expected = Array.from({ length: SECONDS }, (_, i) => `${wfId}-${rfc3339Seconds(new Date(start.getTime() + i * 1000))}`);
    const runs = await eventually(
      async () => {
        if (Date.now() < end.getTime() + 1_000) return false;
        const ws = await scheduledWorkflows(client, scheduleId);
        return ws.length >= SECONDS && ws.every((w) => w.status.name === 'COMPLETED') && ws;
      },
      90_000,
      `${SECONDS} completed scheduled workflows`,
    ).catch(async (e: unknown) => {
      const ws = await scheduledWorkflows(client, scheduleId);
      const seen = new Set(ws.map((w) => w.workflowId));
      throw new Error(`${(e as Error).message}; missing nominal times: ${expected.filter((id) => !seen.has(id)).join(', ') || 'none'}`);
    });
    const ids = runs.map((w) => w.workflowId);
    // No duplicate run of any id, no id outside the range, and every second of it.
    expect(ids.length).toBe(new Set(ids).size);
    const nominals = [...new Set(ids)].map((id) => nominalOf(id, wfId).getTime()).sort((a, b) => a - b);
    expect(nominals.map((t) => `${wfId}-${rfc3339Seconds(new Date(t))}`)).toEqual(expected);
    for (let i = 1; i < nominals.length; i++) expect(nominals[i]! - nominals[i - 1]!).toBe(1000);
    const d = await handle.describe();
    expect.soft(d.info.numActionsTaken).toBe(SECONDS);
    expect.soft(d.info.runningActions).toEqual([]);
    expect.soft(d.info.numActionsMissedCatchupWindow).toBe(0);
  });

  it('after a long outage, nominal times older than the catch-up window are counted missed; younger ones are caught up', { timeout: 120_000 }, async () => {
    quietRuntime();
    const { config: database, drop } = await kind.open();
    cleanups.push(drop);
    const port = await freePort();
    const spawn = (): Promise<ServerProcess> => spawnRuntime({ database, port, packages, logLevel: 'error' });
    let server = await spawn();
    cleanups.push(() => server.kill9());
    const bundle = await bundleTestWorkflows();
    const native = await NativeConnection.connect({ address: server.address });
    cleanups.push(() => native.close());
    const taskQueue = `catchup-${randomUUID()}`;
    const worker = await Worker.create({ connection: native, namespace: 'default', taskQueue, workflowBundle: bundle });
    const running = worker.run();
    cleanups.push(async () => {
      worker.shutdown();
      await running;
    });
    const connection = await Connection.connect({ address: server.address });
    cleanups.push(() => connection.close());
    const client = new Client({ connection, namespace: 'default' });

    const scheduleId = `catchup-${randomUUID().slice(0, 8)}`;
    const wfId = `${scheduleId}-wf`;
    const handle = await client.schedule.create({
      scheduleId,
      spec: { intervals: [{ every: '1s' }] },
      action: { type: 'startWorkflow', workflowType: 'quick', taskQueue, workflowId: wfId },
      // 10 s is the smallest window Temporal honours (A.5).
      policies: { overlap: 'ALLOW_ALL', catchupWindow: '10s' },
    });
    await eventually(async () => (await handle.describe()).info.numActionsTaken >= 2, 15_000, 'two actions before the outage');
    await server.kill9();
    const killedAt = Date.now();
    // Down for 18 s: the first ~8 s of it fall outside the 10 s window by the time it is back.
    await new Promise((r) => setTimeout(r, 18_000));
    const restartAt = Date.now();
    server = await spawn();
    // The window is measured when the restarted server processes the schedule, so a slow restart
    // (a loaded machine) ages the oldest times out of it: "inside" counts back from when it serves.
    const backAt = Date.now();
    const d = await eventually(async () => {
      const x = await handle.describe();
      return x.info.numActionsMissedCatchupWindow > 0 && x.info.recentActions.some((a) => nominalOf(a.action.workflow.workflowId, wfId).getTime() > restartAt) && x;
    }, 30_000, 'missed actions counted and firing again');
    await handle.pause('done');
    const nominals = new Set((await scheduledWorkflows(client, scheduleId)).map((w) => nominalOf(w.workflowId, wfId).getTime()));
    // Clearly older than the window when the server came back: not started.
    for (let t = Math.ceil((killedAt + 2_000) / 1000) * 1000; t <= restartAt - 12_000; t += 1000) expect(nominals.has(t), `nominal ${new Date(t).toISOString()} should be missed`).toBe(false);
    // Clearly inside the window: caught up.
    const visible = await eventually(async () => {
      const ws = new Set((await scheduledWorkflows(client, scheduleId)).map((w) => nominalOf(w.workflowId, wfId).getTime()));
      for (let t = Math.ceil((backAt - 6_000) / 1000) * 1000; t < restartAt; t += 1000) if (!ws.has(t)) return false;
      return ws;
    }, 15_000, 'the nominal times inside the window were caught up');
    expect(visible.size).toBeGreaterThan(0);
    expect(d.info.numActionsMissedCatchupWindow).toBeGreaterThanOrEqual(4);
  });
});
