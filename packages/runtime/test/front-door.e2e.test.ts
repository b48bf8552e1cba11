import { Connection } from '@temporalio/client';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../src/testing/index.js';
import type { temporal } from '../src/grpc/proto-root.js';

type UpdateNamespaceResponse = temporal.api.workflowservice.v1.IUpdateNamespaceResponse;
import { grpcError, rawBytesCall, rawUnaryCall, seconds, statusDetails } from './helpers.js';

describe('front door (real gRPC, @temporalio/client)', () => {
  let server: TestServer;
  let connection: Connection;

  beforeAll(async () => {
    server = await startTestServer({ metricsPort: 0 });
    connection = await Connection.connect({ address: server.address });
  });
  afterAll(async () => {
    await connection?.close();
    await server?.stop();
  });

  it('answers GetSystemInfo with honest capabilities', async () => {
    const info = await connection.workflowService.getSystemInfo({});
    expect(info.serverVersion).toMatch(/^\d+\.\d+\.\d+$/);
    expect(info.capabilities).toMatchObject({
      sdkMetadata: true,
      signalAndQueryHeader: true,
      internalErrorDifferentiation: true,
      activityFailureIncludeHeartbeat: true,
      encodedFailureAttributes: true,
      upsertMemo: true,
      eagerWorkflowStart: false,
      buildIdBasedVersioning: false,
      countGroupByExecutionStatus: false,
      nexus: false,
    });
  });

  it('answers GetClusterInfo with a stable identity', async () => {
    const a = await connection.workflowService.getClusterInfo({});
    const b = await connection.workflowService.getClusterInfo({});
    expect(a.clusterName).toBe('active');
    expect(a.clusterId).toMatch(/^[0-9a-f-]{36}$/);
    expect(b.clusterId).toBe(a.clusterId);
    expect(a.historyShardCount).toBe(4);
    expect(a.persistenceStore).toBe('pglite');
    expect(a.supportedClients?.['temporal-typescript']).toBeTruthy();
  });

  it('registers, describes and lists a namespace', async () => {
    await connection.workflowService.registerNamespace({
      namespace: 'orders',
      description: 'order processing',
      ownerEmail: 'ops@example.com',
      data: { team: 'payments' },
      workflowExecutionRetentionPeriod: seconds(3 * 86400),
    });
    const d = await connection.workflowService.describeNamespace({ namespace: 'orders' });
    expect(d.namespaceInfo).toMatchObject({
      name: 'orders',
      state: 1, // NAMESPACE_STATE_REGISTERED
      description: 'order processing',
      ownerEmail: 'ops@example.com',
      data: { team: 'payments' },
    });
    expect(d.namespaceInfo?.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(d.namespaceInfo?.capabilities?.workerPollCompleteOnShutdown).toBe(false);
    expect(Number(d.namespaceInfo?.limits?.blobSizeLimitError)).toBe(0);
    expect(Number(d.config?.workflowExecutionRetentionTtl?.seconds)).toBe(3 * 86400);
    expect(d.replicationConfig?.activeClusterName).toBe('active');
    expect(d.isGlobalNamespace).toBe(false);

    const byId = await connection.workflowService.describeNamespace({ id: d.namespaceInfo?.id ?? '' });
    expect(byId.namespaceInfo?.name).toBe('orders');

    const list = await connection.workflowService.listNamespaces({});
    expect(list.namespaces.map((n) => n.namespaceInfo?.name)).toEqual(expect.arrayContaining(['default', 'orders']));
  });

  it('defaults retention to 24 hours', async () => {
    await connection.workflowService.registerNamespace({ namespace: 'no-retention' });
    const d = await connection.workflowService.describeNamespace({ namespace: 'no-retention' });
    expect(Number(d.config?.workflowExecutionRetentionTtl?.seconds)).toBe(86400);
  });

  it('pages ListNamespaces with next_page_token', async () => {
    for (const n of ['page-a', 'page-b', 'page-c']) await connection.workflowService.registerNamespace({ namespace: n });
    const names: string[] = [];
    let token: Uint8Array | undefined;
    let pages = 0;
    do {
      const page = await connection.workflowService.listNamespaces({ pageSize: 2, ...(token ? { nextPageToken: token } : {}) });
      expect(page.namespaces.length).toBeLessThanOrEqual(2);
      names.push(...page.namespaces.map((n) => n.namespaceInfo?.name ?? ''));
      token = page.nextPageToken.length > 0 ? page.nextPageToken : undefined;
      pages++;
    } while (token && pages < 100);
    expect(pages).toBeGreaterThan(1);
    expect(names).toEqual([...names].sort());
    expect(new Set(names).size).toBe(names.length);
    expect(names).toEqual(expect.arrayContaining(['default', 'page-a', 'page-b', 'page-c']));
  });

  it('rejects registering a taken name with ALREADY_EXISTS', async () => {
    await connection.workflowService.registerNamespace({ namespace: 'taken' });
    const err = await grpcError(() => connection.workflowService.registerNamespace({ namespace: 'taken' }), GrpcStatus.ALREADY_EXISTS);
    expect(err.details).toContain('taken');
  });

  it('updates description, data and retention', async () => {
    await connection.workflowService.registerNamespace({ namespace: 'upd', data: { a: '1' } });
    const res: UpdateNamespaceResponse = await connection.workflowService.updateNamespace({
      namespace: 'upd',
      updateInfo: { description: 'new', data: { b: '2' } },
      config: { workflowExecutionRetentionTtl: seconds(7200) },
    });
    expect(res.namespaceInfo).toMatchObject({ description: 'new', data: { a: '1', b: '2' } });
    const d = await connection.workflowService.describeNamespace({ namespace: 'upd' });
    expect(Number(d.config?.workflowExecutionRetentionTtl?.seconds)).toBe(7200);
  });

  it('deletes a namespace through OperatorService', async () => {
    await connection.workflowService.registerNamespace({ namespace: 'doomed' });
    const res = await connection.operatorService.deleteNamespace({ namespace: 'doomed' });
    expect(res.deletedNamespace).toMatch(/^doomed-deleted-/);
    await grpcError(() => connection.workflowService.describeNamespace({ namespace: 'doomed' }), GrpcStatus.NOT_FOUND);
    // The name is free again.
    await connection.workflowService.registerNamespace({ namespace: 'doomed' });
  });

  it('answers NOT_FOUND with NamespaceNotFoundFailure for a missing namespace', async () => {
    const err = await grpcError(() => connection.workflowService.describeNamespace({ namespace: 'nope' }), GrpcStatus.NOT_FOUND);
    expect(err.details).toContain('nope');
    expect(statusDetails(err)).toEqual([
      { type: 'temporal.api.errordetails.v1.NamespaceNotFoundFailure', value: { namespace: 'nope' } },
    ]);
  });

  it('answers INVALID_ARGUMENT, not INTERNAL, for request bytes that are not a valid message', async () => {
    // Field 1 (namespace) claims 10 bytes and carries 1: protobuf decoding fails.
    const err = await grpcError(() => rawBytesCall(server.address, 'temporal.api.workflowservice.v1.WorkflowService', 'DescribeNamespace', Buffer.from([0x0a, 0x0a, 0x61])), GrpcStatus.INVALID_ARGUMENT);
    expect(err.details).toMatch(/^request is not a valid WorkflowService\/DescribeNamespace request: /);
    // The server is fine afterwards.
    await connection.workflowService.getSystemInfo({});
  });

  it('answers INVALID_ARGUMENT naming the field for bad input', async () => {
    const empty = await grpcError(() => connection.workflowService.registerNamespace({ namespace: '' }), GrpcStatus.INVALID_ARGUMENT);
    expect(empty.details).toContain('namespace');
    const bad = await grpcError(
      () => connection.workflowService.registerNamespace({ namespace: 'has space' }),
      GrpcStatus.INVALID_ARGUMENT,
    );
    expect(bad.details).toContain('namespace');

    const retention = await grpcError(
      () => connection.workflowService.registerNamespace({ namespace: 'neg', workflowExecutionRetentionPeriod: seconds(-5) }),
      GrpcStatus.INVALID_ARGUMENT,
    );
    expect(retention.details).toContain('workflow_execution_retention_period');
  });

  it('answers UNIMPLEMENTED naming a method no package provides', async () => {
    const err = await grpcError(
      () => connection.workflowService.updateWorkerBuildIdCompatibility({ namespace: 'default', taskQueue: 'q' }),
      GrpcStatus.UNIMPLEMENTED,
    );
    expect(err.details).toBe('WorkflowService/UpdateWorkerBuildIdCompatibility is not implemented by any installed package');
    const op = await grpcError(() => connection.operatorService.listClusters({}), GrpcStatus.UNIMPLEMENTED);
    expect(op.details).toContain('OperatorService/ListClusters');
  });

  it('accepts gzip-compressed requests, small and large (the SDK worker compresses its calls)', async () => {
    const WS = 'temporal.api.workflowservice.v1.WorkflowService';
    const gzip = { 'grpc.default_compression_algorithm': 2 /* gzip */ };
    const small = (await rawUnaryCall(server.address, WS, 'DescribeNamespace', { namespace: 'default' }, gzip)) as {
      namespaceInfo?: { name?: string };
    };
    expect(small.namespaceInfo?.name).toBe('default');
    // Random bytes do not compress: well past the size inflated synchronously (16 KiB compressed).
    const noise = Buffer.from(Array.from({ length: 48_000 }, () => Math.floor(Math.random() * 256)));
    await rawUnaryCall(server.address, WS, 'RegisterNamespace', { namespace: 'gz-big', description: noise.toString('base64') }, gzip);
    const big = await connection.workflowService.describeNamespace({ namespace: 'gz-big' });
    expect(big.namespaceInfo?.description).toBe(noise.toString('base64'));
  });

  it('serves the gRPC health service', async () => {
    const res = await connection.healthService.check({});
    expect(res.status).toBe(1); // SERVING
    const ws = await connection.healthService.check({ service: 'temporal.api.workflowservice.v1.WorkflowService' });
    expect(ws.status).toBe(1);
  });

  it('exports request metrics on /metrics', async () => {
    const text = await (await fetch(`http://127.0.0.1:${server.metricsPort}/metrics`)).text();
    expect(text).toMatch(/service_requests\{service="WorkflowService",operation="GetSystemInfo"\} \d+/);
    expect(text).toMatch(/service_latency_bucket\{.*operation="DescribeNamespace".*status_code="NOT_FOUND"/);
    expect(text).toContain('process_cpu_user_seconds_total');
    // Group-commit counters of the execution store (read at scrape time).
    const calls = Number(/^chasm_store_write_calls_total (\d+)/m.exec(text)?.[1]);
    const writes = Number(/^chasm_store_writes_total (\d+)/m.exec(text)?.[1]);
    expect(writes).toBeGreaterThanOrEqual(calls);
    expect(text).toMatch(/^chasm_store_write_isolations_total 0$/m);
  });
});
