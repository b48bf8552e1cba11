import { Connection } from '@temporalio/client';
import { ContainerModule } from 'inversify';
import { CHASM_CORE_VERSION, definePlugin, TOKENS, type HttpRoute } from '@chasm/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../src/testing/index.js';
import { seconds } from './helpers.js';

/**
 * Temporal's HTTP API on a runtime with no feature (ADR 0027): the core's own methods
 * (namespaces, system info) over plain HTTP, what the gRPC API answers, the API's query
 * options, metrics, and a plugin route beside the bindings. The workflow round trip is in
 * packages/server/test/http-api.e2e.test.ts.
 */
describe('HTTP API on the runtime (fetch)', () => {
  let server: TestServer;
  let base: string;
  let grpc: Connection;
  const pluginRoute: HttpRoute = {
    // The same shape as the binding of GetClusterInfo's main path: the plugin's route wins.
    method: 'GET',
    path: '/cluster',
    handle: async () => ({ status: 200, body: { plugin: true } }),
  };

  beforeAll(async () => {
    server = await startTestServer({
      httpPort: 0,
      metricsPort: 0,
      plugins: [
        definePlugin({
          name: 'cluster-page',
          version: '0.0.0',
          coreApi: `^${CHASM_CORE_VERSION}`,
          routes: ['GET /cluster'],
          module: () => new ContainerModule((o) => void o.bind(TOKENS.HttpRoutes).toConstantValue([pluginRoute])),
        }),
      ],
    });
    base = `http://127.0.0.1:${server.httpPort}`;
    grpc = await Connection.connect({ address: server.address });
  });
  afterAll(async () => {
    await grpc?.close();
    await server?.stop();
  });

  const get = async (path: string): Promise<{ status: number; text: string; body: Record<string, unknown> }> => {
    const res = await fetch(`${base}${path}`);
    const text = await res.text();
    return { status: res.status, text, body: JSON.parse(text) as Record<string, unknown> };
  };

  it('serves GetSystemInfo and DescribeNamespace, as gRPC answers them', async () => {
    const info = await get('/api/v1/system-info');
    expect(info.status).toBe(200);
    const viaGrpc = await grpc.workflowService.getSystemInfo({});
    expect(info.body['serverVersion']).toBe(viaGrpc.serverVersion);
    expect(info.body['capabilities']).toMatchObject({ signalAndQueryHeader: true });

    const ns = await get('/api/v1/namespaces/default');
    expect(ns.status).toBe(200);
    expect(ns.body).toMatchObject({ namespaceInfo: { name: 'default', state: 'NAMESPACE_STATE_REGISTERED' }, config: { workflowExecutionRetentionTtl: '86400s' } });
  });

  it('registers a namespace from a JSON body (a Duration as a string) and refuses it twice with 409', async () => {
    const register = async (): Promise<Response> =>
      fetch(`${base}/api/v1/namespaces`, { method: 'POST', body: JSON.stringify({ namespace: 'over-http', workflowExecutionRetentionPeriod: '3600s' }) });
    expect((await register()).status).toBe(200);
    expect((await get('/api/v1/namespaces/over-http')).body).toMatchObject({ config: { workflowExecutionRetentionTtl: '3600s' } });
    const again = await register();
    expect(again.status).toBe(409);
    expect(await again.json()).toMatchObject({ code: 6 });
    const code = await grpc.workflowService.registerNamespace({ namespace: 'over-http', workflowExecutionRetentionPeriod: seconds(3600) }).then(
      () => 0,
      (e: { code: number }) => e.code,
    );
    expect(code).toBe(6);
  });

  it('404 with a typed detail for an unknown namespace; 501 for a method no package serves', async () => {
    const missing = await get('/api/v1/namespaces/nowhere');
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({
      code: 5,
      message: expect.stringContaining('nowhere') as string,
      details: [{ '@type': 'type.googleapis.com/temporal.api.errordetails.v1.NamespaceNotFoundFailure', namespace: 'nowhere' }],
    });
    const unserved = await get('/api/v1/namespaces/default/workflows/x');
    expect(unserved.status).toBe(501);
    expect(unserved.body).toMatchObject({ code: 12, message: 'WorkflowService/DescribeWorkflowExecution is not implemented by any installed package', details: [] });
  });

  it('takes query parameters as request fields, ?pretty, and counts calls in the metrics', async () => {
    const pretty = await get('/api/v1/namespaces?pageSize=1&pretty');
    expect(pretty.status).toBe(200);
    expect(pretty.text).toContain('\n  "namespaces": [');
    expect(pretty.body['namespaces']).toHaveLength(1);
    const badQuery = await get('/api/v1/namespaces?pageSize=many');
    expect(badQuery.status).toBe(400);
    expect(badQuery.body['message']).toContain('pageSize: expected an integer');
    const metrics = await (await fetch(`http://127.0.0.1:${server.metricsPort}/metrics`)).text();
    expect(metrics).toMatch(/http_service_requests\{operation="ListNamespaces"\} [1-9]/);
    expect(metrics).toMatch(/service_requests\{service="WorkflowService",operation="ListNamespaces"\} [1-9]/);
  });

  it('keeps a plugin route over a binding of the same shape; the /api/v1 binding still answers', async () => {
    expect((await get('/cluster')).body).toEqual({ plugin: true });
    const cluster = await get('/api/v1/cluster-info');
    expect(cluster.status).toBe(200);
    expect(cluster.body['clusterId']).toEqual(expect.any(String));
  });
});
