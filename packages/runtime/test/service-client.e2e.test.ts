import { ContainerModule } from 'inversify';
import { ChasmError, ErrorCode, TOKENS, WORKFLOW_SERVICE, type RpcCallContext, type RpcHandlerSet, type ServiceClient } from '@chasm/core';
import { Connection } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import { startTestServer } from '../src/testing/index.js';

/** The in-process ServiceClient: another package's RPCs, through the front door's table and codec. */
describe('the in-process service client', () => {
  const seen: { request: unknown; internal: boolean | undefined }[] = [];
  const set: RpcHandlerSet = {
    service: WORKFLOW_SERVICE,
    methods: {
      async DescribeSchedule(req: { namespace: string; scheduleId: string }, call: RpcCallContext) {
        seen.push({ request: req, internal: call.internal });
        if (req.scheduleId === 'missing') throw new ChasmError(ErrorCode.NotFound, 'no such schedule');
        return { conflictToken: new Uint8Array([1, 0, 0, 0, 0, 0, 0, 0]) };
      },
    },
  };
  const module = new ContainerModule(({ bind }) => {
    bind(TOKENS.RpcHandlers).toConstantValue(set);
  });

  it('calls a served method with the decoded request, marks the call internal, and passes errors through', async () => {
    await using server = await startTestServer({ modules: [module] });
    const client = server.container.get<ServiceClient>(TOKENS.ServiceClient);
    const res = await client.call<{ conflictToken: Uint8Array }>(WORKFLOW_SERVICE, 'DescribeSchedule', { namespace: 'default', scheduleId: 's1', notAField: 'x' });
    expect([...res.conflictToken]).toEqual([1, 0, 0, 0, 0, 0, 0, 0]);
    // Decoded as a gRPC request is: a protobufjs message, unknown fields gone.
    expect(seen[0]).toMatchObject({ request: { namespace: 'default', scheduleId: 's1' }, internal: true });
    expect(seen[0]!.request).not.toHaveProperty('notAField');
    await expect(client.call(WORKFLOW_SERVICE, 'DescribeSchedule', { namespace: 'default', scheduleId: 'missing' })).rejects.toMatchObject({ code: ErrorCode.NotFound });
    await expect(client.call(WORKFLOW_SERVICE, 'ListSchedules', { namespace: 'default' })).rejects.toMatchObject({
      code: ErrorCode.Unimplemented,
      message: 'WorkflowService/ListSchedules is not implemented by any installed package',
    });

    // A remote caller of the same method is not internal.
    const connection = await Connection.connect({ address: server.address });
    await connection.workflowService.describeSchedule({ namespace: 'default', scheduleId: 's2' });
    expect(seen[seen.length - 1]).toMatchObject({ internal: undefined });
    await connection.close();
  });
});
