import { Connection } from '@temporalio/client';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { ContainerModule } from 'inversify';
import {
  ExecutionAlreadyStartedError,
  InvalidArgumentError,
  ResourceExhaustedError,
  TOKENS,
  WORKFLOW_SERVICE,
  type NamespaceResolver,
  type RpcHandlerSet,
} from '@chasm/core';
import { describe, expect, it } from 'vitest';
import { startTestServer } from '../src/testing/index.js';
import { grpcError, rawUnaryCall, statusDetails } from './helpers.js';

/** A fake package contributing one handler set. */
function packageWith(set: RpcHandlerSet | ((ns: NamespaceResolver) => RpcHandlerSet)): ContainerModule {
  return new ContainerModule(({ bind }) => {
    if (typeof set === 'function') bind(TOKENS.RpcHandlers).toResolvedValue(set, [TOKENS.Namespaces]);
    else bind(TOKENS.RpcHandlers).toConstantValue(set);
  });
}

describe('composition', () => {
  it('fails start-up for an unknown package, listing the built-in ones', async () => {
    await expect(startTestServer({ packages: ['no-such-package'] })).rejects.toThrow(
      /^unknown package 'no-such-package' \(.*\); built-in packages: tests$/,
    );
  });

  it('fails start-up when two packages provide the same method', async () => {
    const set: RpcHandlerSet = { service: WORKFLOW_SERVICE, methods: { ListSchedules: async () => ({}) } };
    await expect(startTestServer({ modules: [packageWith(set), packageWith(set)] })).rejects.toThrow(
      /WorkflowService\/ListSchedules is provided by two RPC handler sets/,
    );
  });

  it('fails start-up when a package provides a method the protos do not define', async () => {
    const set: RpcHandlerSet = { service: WORKFLOW_SERVICE, methods: { StartWorkflowExecutoin: async () => ({}) } };
    await expect(startTestServer({ modules: [packageWith(set)] })).rejects.toThrow(/unknown method WorkflowService\/StartWorkflowExecutoin/);
  });

  it('fails start-up when a package duplicates a core method', async () => {
    const set: RpcHandlerSet = { service: WORKFLOW_SERVICE, methods: { GetSystemInfo: async () => ({}) } };
    await expect(startTestServer({ modules: [packageWith(set)] })).rejects.toThrow(/GetSystemInfo is provided by two/);
  });

  it('routes to package handlers', async () => {
    await using server = await startTestServer({
      modules: [
        packageWith((namespaces) => ({
          service: WORKFLOW_SERVICE,
          methods: {
            async PollActivityTaskQueue(req: { namespace: string }) {
              await namespaces.idOf(req.namespace);
              return { activityId: 'from-package' };
            },
          },
        })),
      ],
    });
    const connection = await Connection.connect({ address: server.address });
    try {
      const res = await connection.workflowService.pollActivityTaskQueue({ namespace: 'default', taskQueue: { name: 'q' } });
      expect(res.activityId).toBe('from-package');
      // Package handlers resolve namespaces through TOKENS.Namespaces: NOT_FOUND names it.
      const err = await grpcError(
        () => connection.workflowService.pollActivityTaskQueue({ namespace: 'ghost', taskQueue: { name: 'q' } }),
        GrpcStatus.NOT_FOUND,
      );
      expect(statusDetails(err)[0]).toEqual({
        type: 'temporal.api.errordetails.v1.NamespaceNotFoundFailure',
        value: { namespace: 'ghost' },
      });
      // A request naming no namespace: INVALID_ARGUMENT, as Temporal answers (not NOT_FOUND).
      const unnamed = await grpcError(
        () => connection.workflowService.pollActivityTaskQueue({ namespace: '', taskQueue: { name: 'q' } }),
        GrpcStatus.INVALID_ARGUMENT,
      );
      expect(unnamed.details).toBe('namespace: Namespace not set on request.');
    } finally {
      await connection.close();
    }
  });

  it('answers UNIMPLEMENTED, naming the method, for polls no chosen package serves', async () => {
    await using server = await startTestServer();
    const connection = await Connection.connect({ address: server.address });
    try {
      const ws = connection.workflowService;
      for (const [method, call] of [
        ['PollWorkflowTaskQueue', () => ws.pollWorkflowTaskQueue({ namespace: 'default', taskQueue: { name: 'q' } })],
        ['PollActivityTaskQueue', () => ws.pollActivityTaskQueue({ namespace: 'default', taskQueue: { name: 'q' } })],
        ['PollNexusTaskQueue', () => ws.pollNexusTaskQueue({ namespace: 'default', taskQueue: { name: 'q' } })],
        ['ShutdownWorker', () => ws.shutdownWorker({ namespace: 'default', stickyTaskQueue: 'x' })],
      ] as const) {
        const err = await grpcError(call, GrpcStatus.UNIMPLEMENTED);
        expect(err.details).toContain(method);
      }
    } finally {
      await connection.close();
    }
  });

  it('ends held polls promptly when the server stops', async () => {
    let held!: () => void;
    const pollHeld = new Promise<void>((r) => (held = r));
    const server = await startTestServer({
      modules: [
        packageWith({
          service: WORKFLOW_SERVICE,
          methods: {
            // A long poll that ends only when the front door aborts the call.
            async PollActivityTaskQueue(_req: unknown, call: { signal: AbortSignal }) {
              held();
              await new Promise<void>((resolve) => call.signal.addEventListener('abort', () => resolve(), { once: true }));
              return {};
            },
          },
        }),
      ],
    });
    const connection = await Connection.connect({ address: server.address });
    try {
      const poll = connection.workflowService.pollActivityTaskQueue({ namespace: 'default', taskQueue: { name: 'q' } });
      await pollHeld;
      const started = Date.now();
      await server.stop();
      expect(Date.now() - started).toBeLessThan(3_000);
      await poll.catch(() => undefined);
    } finally {
      await connection.close();
    }
  });

  it('maps errors to statuses with Temporal error details', async () => {
    await using server = await startTestServer({
      modules: [
        packageWith({
          service: WORKFLOW_SERVICE,
          methods: {
            async StartWorkflowExecution() {
              throw new ExecutionAlreadyStartedError('Workflow execution is already running', 'run-1', 'req-1');
            },
            async SignalWorkflowExecution() {
              throw new ResourceExhaustedError('too many signals', 'RPS_LIMIT');
            },
            async TerminateWorkflowExecution() {
              throw new InvalidArgumentError('workflow_execution.workflow_id', 'is required');
            },
            async QueryWorkflow() {
              throw new TypeError('secret internals');
            },
          },
        }),
      ],
    });
    const connection = await Connection.connect({ address: server.address });
    try {
      const ws = connection.workflowService;
      const exists = await grpcError(() => ws.startWorkflowExecution({ namespace: 'default' }), GrpcStatus.ALREADY_EXISTS);
      expect(statusDetails(exists)).toEqual([
        {
          type: 'temporal.api.errordetails.v1.WorkflowExecutionAlreadyStartedFailure',
          value: { runId: 'run-1', startRequestId: 'req-1', firstExecutionRunId: '' },
        },
      ]);
      // A bare client: the SDK client would retry RESOURCE_EXHAUSTED.
      const exhausted = await grpcError(
        () => rawUnaryCall(server.address, WORKFLOW_SERVICE, 'SignalWorkflowExecution', { namespace: 'default' }),
        GrpcStatus.RESOURCE_EXHAUSTED,
      );
      expect(statusDetails(exhausted)[0]).toMatchObject({
        type: 'temporal.api.errordetails.v1.ResourceExhaustedFailure',
        value: { cause: 'RESOURCE_EXHAUSTED_CAUSE_RPS_LIMIT' },
      });
      const invalid = await grpcError(() => ws.terminateWorkflowExecution({ namespace: 'default' }), GrpcStatus.INVALID_ARGUMENT);
      expect(invalid.details).toBe('workflow_execution.workflow_id: is required');
      const internal = await grpcError(() => ws.queryWorkflow({ namespace: 'default' }), GrpcStatus.INTERNAL);
      expect(internal.details).toMatch(/^internal server error \(ref [0-9a-f]{8}\)$/);
      expect(internal.details).not.toContain('secret');
      // The server survived.
      await ws.getSystemInfo({});
    } finally {
      await connection.close();
    }
  });
});
