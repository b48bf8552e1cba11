import { randomUUID } from 'node:crypto';
import { temporal } from '@temporalio/proto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, ROOT, startDevServer, type DevServer } from './dev-server.js';

/**
 * The web UI in a real browser (Debian's chromium through playwright-core) against a spawned
 * dev server (PGlite) driven by the official SDK: find a workflow by a query, open it, see its
 * history and result; signal one and terminate one; pause a schedule; open the CHASM inspector
 * of a standalone activity and see its tree and pending timer. Every wait is on DOM state
 * (locators auto-wait) or on the server's answer, never a fixed sleep. Screenshots of the main
 * pages go to docs/ui/.
 */
const SHOTS = `${ROOT}docs/ui/`;
/** Packages the server loads: no nexus, so the Nexus endpoints page meets an RPC nobody serves. */
const PACKAGES = ['matching', 'standalone-activity', 'workflow', 'workflow-update', 'scheduler'];
const WAIT_MS = 45_000;

describe('web UI (browser, PGlite)', () => {
  let server: DevServer;
  let ui: string;
  let client: Client;
  let connection: Connection;
  let native: NativeConnection;
  let worker: Worker;
  let running: Promise<void>;
  let browser: Browser;
  let page: Page;
  const taskQueue = `ui-${randomUUID().slice(0, 8)}`;

  const open = async (path: string): Promise<void> => {
    await page.goto(`${ui}${path}`);
  };
  // The pages are always rendered to PNG (a page that fails to render fails the test); they are
  // written over docs/ui/ only with UI_SCREENSHOTS=1, so a test run does not dirty the checkout.
  const shot = async (name: string): Promise<void> => {
    const png = await page.screenshot({ fullPage: true });
    if (process.env['UI_SCREENSHOTS'] === '1') writeFileSync(`${SHOTS}${name}.png`, png);
  };

  beforeAll(async () => {
    if (process.env['UI_SCREENSHOTS'] === '1') mkdirSync(SHOTS, { recursive: true });
    Runtime.install({ logger: new DefaultLogger('ERROR'), telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' } } } });
    server = await startDevServer(PACKAGES);
    ui = server.ui;
    const bundle = await bundleWorkflowCode({ workflowsPath: fileURLToPath(new URL('./workflows/index.ts', import.meta.url)), logger: new DefaultLogger('ERROR') });
    connection = await Connection.connect({ address: server.address });
    client = new Client({ connection, namespace: 'default' });
    native = await NativeConnection.connect({ address: server.address });
    worker = await Worker.create({
      connection: native,
      namespace: 'default',
      taskQueue,
      workflowBundle: bundle,
      activities: { shout: async (text: string) => text.toUpperCase() },
    });
    running = worker.run();
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.setDefaultTimeout(WAIT_MS);
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    if (worker) {
      worker.shutdown();
      await running;
    }
    await native?.close();
    await connection?.close();
    await server?.stop();
  }, 60_000);

  it('finds a workflow by a query, opens it, and shows its result and history (list and timeline)', async () => {
    const workflowId = `greet-${randomUUID().slice(0, 8)}`;
    const result = await client.workflow.execute('greetWorkflow', { workflowId, taskQueue, args: ['browser'] });
    expect(result).toEqual({ greeting: 'Hello, BROWSER' });

    await open('/namespaces/default/workflows');
    await page.getByLabel('Visibility query').fill(`WorkflowId = '${workflowId}'`);
    await page.getByRole('button', { name: 'Search' }).click();
    // The list refreshes itself: the run appears once visibility has it.
    const link = page.getByTestId('workflow-list').getByRole('link', { name: workflowId });
    await link.waitFor();
    expect(await page.getByTestId('workflow-list').locator('tbody tr').count()).toBe(1);
    await shot('workflows');

    await link.click();
    await page.getByTestId('workflow-result').filter({ hasText: 'Hello, BROWSER' }).waitFor();
    await page.getByTestId('workflow-input').filter({ hasText: '"browser"' }).waitFor();
    const history = page.getByTestId('history-list');
    for (const type of ['WorkflowExecutionStarted', 'ActivityTaskCompleted', 'TimerFired', 'WorkflowExecutionCompleted']) {
      await history.getByRole('cell', { name: type, exact: true }).first().waitFor();
    }
    await page.getByTestId('workflow-summary').getByText('Completed').waitFor();
    await shot('workflow-detail');

    await page.getByRole('button', { name: 'Timeline' }).click();
    const timeline = page.getByTestId('history-timeline');
    await timeline.getByText('activity: shout').waitFor();
    await timeline.getByText('timer: 1').waitFor();
    await shot('workflow-timeline');
  });

  it('signals a workflow from its page', async () => {
    const handle = await client.workflow.start('approvalWorkflow', { workflowId: `approve-${randomUUID().slice(0, 8)}`, taskQueue });
    await open(`/namespaces/default/workflows/${handle.workflowId}`);
    await page.getByTestId('workflow-summary').getByText('Running').waitFor();
    await page.getByLabel('Signal name').fill('approve');
    await page.getByLabel('Signal input (JSON)').fill('"ship it"');
    await page.getByRole('button', { name: 'Signal', exact: true }).click();
    expect(await handle.result()).toBe('ship it');
    // The open page catches up by itself.
    await page.getByTestId('workflow-result').filter({ hasText: 'ship it' }).waitFor();
    await page.getByTestId('history-list').getByRole('cell', { name: 'WorkflowExecutionSignaled', exact: true }).waitFor();
  });

  it("lists a workflow's updates with their input and outcome", async () => {
    const handle = await client.workflow.start('counterWorkflow', { workflowId: `counter-${randomUUID().slice(0, 8)}`, taskQueue });
    expect(await handle.executeUpdate<number, [number]>('add', { args: [40], updateId: 'add-forty' })).toBe(40);
    expect(await handle.executeUpdate<number, [number]>('add', { args: [2], updateId: 'add-two' })).toBe(42);
    await open(`/namespaces/default/workflows/${handle.workflowId}`);
    const updates = page.getByTestId('workflow-updates');
    await updates.getByRole('row').filter({ hasText: 'add-forty' }).filter({ hasText: '40' }).waitFor();
    await updates.getByRole('row').filter({ hasText: 'add-two' }).filter({ hasText: '42' }).waitFor();
    await handle.terminate('done');
  });

  it("shows a task queue's backlog by priority key and its rate limit", async () => {
    const queue = `idle-${randomUUID().slice(0, 8)}`;
    // No worker polls this queue: each standalone activity waits in the backlog under its priority key.
    for (const [i, priorityKey] of [1, 3, 3].entries()) {
      await client.activity.start('neverPolled', { id: `${queue}-${i}`, taskQueue: queue, scheduleToCloseTimeout: '1h', priority: { priorityKey, fairnessKey: 'tenant-a' } });
    }
    await client.workflowService.updateTaskQueueConfig({
      namespace: 'default',
      taskQueue: queue,
      // As in Temporal, rate limits are for activity queues only.
      taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
      updateQueueRateLimit: { rateLimit: { requestsPerSecond: 5 }, reason: 'browser test' },
    });
    await open(`/namespaces/default/task-queues/${queue}`);
    const byPriority = page.getByTestId('backlog-by-priority');
    const row = (key: string, backlog: string) =>
      byPriority.getByRole('row').filter({ has: page.getByRole('cell', { name: key, exact: true }) }).filter({ has: page.getByRole('cell', { name: backlog, exact: true }) });
    await row('1', '1').waitFor();
    await row('3', '2').waitFor();
    await page.getByText('Queue: 5/s').waitFor();
    await shot('task-queue');
  });

  it('terminates a workflow from its page', async () => {
    const handle = await client.workflow.start('sleepyWorkflow', { workflowId: `sleepy-${randomUUID().slice(0, 8)}`, taskQueue });
    await open(`/namespaces/default/workflows/${handle.workflowId}/${handle.firstExecutionRunId}`);
    await page.getByTestId('workflow-summary').getByText('Running').waitFor();
    await page.getByLabel('Reason').fill('stopped from the browser test');
    page.once('dialog', (d) => void d.accept());
    await page.getByRole('button', { name: 'Terminate' }).click();
    await page.getByTestId('workflow-summary').getByText('Terminated').waitFor();
    const d = await handle.describe();
    expect(d.status.name).toBe('TERMINATED');
    await page.getByTestId('workflow-result').filter({ hasText: 'stopped from the browser test' }).waitFor();
  });

  it('opens a schedule and pauses it', async () => {
    const scheduleId = `sched-${randomUUID().slice(0, 8)}`;
    const handle = await client.schedule.create({
      scheduleId,
      spec: { intervals: [{ every: '1h' }] },
      action: { type: 'startWorkflow', workflowType: 'greetWorkflow', args: ['schedule'], taskQueue, workflowId: `${scheduleId}-wf` },
    });
    await open('/namespaces/default/schedules');
    const link = page.getByTestId('schedule-list').getByRole('link', { name: scheduleId });
    await link.waitFor();
    await link.click();
    await page.getByTestId('schedule-state').filter({ hasText: 'Active' }).waitFor();
    await page.getByTestId('upcoming-actions').locator('li').first().waitFor();
    await page.getByLabel('Note').fill('paused by the browser test');
    await page.getByRole('button', { name: 'Pause', exact: true }).click();
    await page.getByTestId('schedule-state').filter({ hasText: 'Paused' }).waitFor();
    const d = await handle.describe();
    expect(d.state.paused).toBe(true);
    expect(d.state.note).toBe('paused by the browser test');
    await shot('schedule');
    await handle.delete();
  });

  it("opens a standalone activity's CHASM inspector and sees its tree and pending timer", async () => {
    const activityId = `act-${randomUUID().slice(0, 8)}`;
    // No worker polls this queue: the activity stays scheduled and its schedule-to-close timer pending.
    await client.activity.start('neverPolled', { id: activityId, taskQueue: `${taskQueue}-idle`, scheduleToCloseTimeout: '1h' });
    await open('/namespaces/default/activities');
    const link = page.getByTestId('activity-list').getByRole('link', { name: activityId });
    await link.waitFor();
    await link.click();
    await page.getByRole('link', { name: 'inspect', exact: true }).click();
    const tree = page.getByTestId('chasm-tree');
    await tree.getByTestId('archetype').filter({ hasText: 'activity.activity' }).waitFor();
    await tree.locator('[data-testid="chasm-node"][data-path=""][data-type="activity.activity"]').waitFor();
    const timer = tree.locator('[data-testid="chasm-task"][data-type="activity.scheduleToCloseTimeout"]');
    await timer.waitFor();
    expect(await timer.getAttribute('data-kind')).toBe('pure');
    expect(await timer.textContent()).toMatch(/in (59m|1h)/);
    await tree.getByText('"activityId": "' + activityId + '"').waitFor();
    await shot('chasm-inspector');
  });

  it('says so when a page needs an RPC no installed package serves', async () => {
    await open('/nexus/endpoints');
    await page.getByTestId('unimplemented').filter({ hasText: 'ListNexusEndpoints' }).waitFor();
    // And the inspector's registry page lists what is installed.
    await open('/namespaces/default/chasm');
    await page.getByTestId('component-registry').getByRole('cell', { name: 'scheduler', exact: true }).waitFor();
  });
});

/** Resolves once `url` answers 200; fails early if the server process exits. */
