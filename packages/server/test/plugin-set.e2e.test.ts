import { definePlugin, TOKENS, WORKFLOW_SERVICE } from '@chasm/core';
import { startTestServer } from '@chasm/runtime/testing';
import { Connection } from '@temporalio/client';
import { ContainerModule } from 'inversify';
import { describe, expect, it } from 'vitest';
import { BUILTIN_PLUGINS } from '../src/catalogue.js';

const start = (packages: string[], settings?: Record<string, unknown>) =>
  startTestServer({ packages, catalogue: BUILTIN_PLUGINS, ...(settings ? { settings } : {}) });

/** Wrong sets of built-in packages are refused at start, each with one line naming the problem. */
describe('plugin set check', () => {
  it.each([
    [['standalone-activity'], /^standalone-activity needs matching$/],
    [['workflow'], /^workflow needs matching$/],
    [['matching', 'workflow-update'], /^workflow-update needs workflow$/],
    [['workflow-update'], /^workflow-update needs workflow$/],
    [['matching', 'scheduler'], /^scheduler needs workflow$/],
    [['matching', 'nexus'], /^nexus needs workflow$/],
  ])('refuses %j', async (packages, message) => {
    await expect(start(packages)).rejects.toThrow(message);
  });

  it('refuses settings for a package that is not loaded, and invalid settings', async () => {
    await expect(start(['matching'], { workflow: {} })).rejects.toThrow(/^settings\.workflow: no package named 'workflow' is loaded$/);
    await expect(start(['matching', 'workflow', 'workflow-update'], { 'workflow-update': { maxTotalUpdates: -1 } })).rejects.toThrow(
      /^settings\.workflow-update\.maxTotalUpdates: /,
    );
    await expect(start(['matching'], { matching: { maxPollWaitMs: 'soon' } })).rejects.toThrow(/^settings\.matching\.maxPollWaitMs: /);
    await expect(start(['matching'], { matching: { maxPolWaitMs: 1 } })).rejects.toThrow(/^settings\.matching: .*maxPolWaitMs/);
  });

  it('refuses a plugin built for another @chasm/core, and two plugins serving one method', async () => {
    const plugin = (name: string, coreApi: string, methods: string[]) =>
      definePlugin({ name, version: '1.0.0', coreApi, serves: [{ service: WORKFLOW_SERVICE, methods }], module: () => new ContainerModule(() => {}) });
    await expect(startTestServer({ plugins: [plugin('future', '^9.0.0', [])] })).rejects.toThrow(
      /^future 1\.0\.0 supports @chasm\/core \^9\.0\.0, but this server runs @chasm\/core \d+\.\d+\.\d+/,
    );
    await expect(
      startTestServer({ packages: ['matching'], catalogue: BUILTIN_PLUGINS, plugins: [plugin('rogue', '*', ['ListWorkers'])] }),
    ).rejects.toThrow(/^ListWorkers is served by both matching and rogue; choose one$/);
    await expect(startTestServer({ plugins: [plugin('typo', '*', ['StartWorkflowExecutoin'])] })).rejects.toThrow(
      /^typo declares StartWorkflowExecutoin, which temporal\.api\.workflowservice\.v1\.WorkflowService does not define$/,
    );
  });

  it('refuses a plugin that serves a method it did not declare', async () => {
    const sneaky = definePlugin({
      name: 'sneaky',
      version: '1.0.0',
      coreApi: '*',
      module: () =>
        new ContainerModule(({ bind }) => {
          bind(TOKENS.RpcHandlers).toConstantValue({ service: WORKFLOW_SERVICE, methods: { ListSchedules: async () => ({}) } });
        }),
    });
    await expect(startTestServer({ plugins: [sneaky] })).rejects.toThrow(/^ListSchedules is served but no loaded package declares it$/);
  });

  it('refuses an HTTP route served but not declared, or declared by two plugins', async () => {
    const route = { method: 'GET' as const, path: '/api/v1/hello', handle: async () => ({ status: 200, body: 'hi' }) };
    const serving = (name: string, routes: string[]) =>
      definePlugin({
        name,
        version: '1.0.0',
        coreApi: '*',
        routes,
        module: () =>
          new ContainerModule(({ bind }) => {
            bind(TOKENS.HttpRoutes).toConstantValue(route);
          }),
      });
    await expect(startTestServer({ plugins: [serving('quiet', [])] })).rejects.toThrow(/^HTTP route GET \/api\/v1\/hello is served but no loaded package declares it$/);
    await expect(startTestServer({ plugins: [serving('one', ['GET /api/v1/hello']), serving('two', ['GET /api/v1/hello'])] })).rejects.toThrow(
      /^HTTP route GET \/api\/v1\/hello is served by both one and two; choose one$/,
    );
    await using server = await startTestServer({ plugins: [serving('one', ['GET /api/v1/hello'])], httpPort: 0, metricsPort: 0 });
    const res = await fetch(`http://127.0.0.1:${server.httpPort}/api/v1/hello`);
    expect(await res.json()).toBe('hi');
    expect((await fetch(`http://127.0.0.1:${server.httpPort}/api/v1/nope`)).status).toBe(404);
    const metrics = await (await fetch(`http://127.0.0.1:${server.metricsPort}/metrics`)).text();
    expect(metrics).toContain('http_request_latency_count{method="GET",route="/api/v1/hello",status="200"} 1');
  });

  it('starts every built-in package together, with settings applied', async () => {
    await using server = await start(['matching', 'standalone-activity', 'workflow', 'workflow-update', 'scheduler', 'nexus'], {
      'workflow-update': { maxTotalUpdates: 5 },
      scheduler: { maxBackfillers: 10 },
      nexus: { maxPageSize: 500 },
    });
    expect(server.address).toMatch(/^127\.0\.0\.1:\d+$/);
    // The capabilities follow what the loaded packages serve.
    const connection = await Connection.connect({ address: server.address });
    const info = await connection.workflowService.getSystemInfo({});
    expect(info.capabilities).toMatchObject({ supportsSchedules: true, countGroupByExecutionStatus: true });
    const ns = await connection.workflowService.describeNamespace({ namespace: 'default' });
    expect(ns.namespaceInfo?.capabilities).toMatchObject({ standaloneActivities: true, standaloneActivityOperatorCommands: true, syncUpdate: true });
    // And GROUP BY ExecutionStatus is answered, as the flag promises.
    await connection.workflowService.startWorkflowExecution({ namespace: 'default', workflowId: 'g1', workflowType: { name: 'wf' }, taskQueue: { name: 'q' }, requestId: 'r-g1' });
    let groups: unknown[] = [];
    for (const deadline = Date.now() + 10_000; groups.length === 0 && Date.now() < deadline; ) {
      groups = (await connection.workflowService.countWorkflowExecutions({ namespace: 'default', query: 'GROUP BY ExecutionStatus' })).groups ?? [];
      if (groups.length === 0) await new Promise((r) => setTimeout(r, 50));
    }
    expect(groups).toHaveLength(1);
    await connection.close();
  });
});
