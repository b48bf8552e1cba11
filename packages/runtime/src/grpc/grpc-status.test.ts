import { status as Status } from '@grpc/grpc-js';
import { ChasmError, ErrorCode, ExecutionAlreadyStartedError, NotFoundError, ResourceExhaustedError } from '@chasm/core';
import { describe, expect, it } from 'vitest';
import { GRPC_STATUS, toGrpcStatus } from './grpc-status.js';
import { decodeStatusDetails } from './status-details.js';

function details(e: unknown): { type: string; value: Record<string, unknown> }[] {
  const [bin] = toGrpcStatus(e).status.metadata.get('grpc-status-details-bin');
  return bin instanceof Buffer ? decodeStatusDetails(bin) : [];
}

describe('toGrpcStatus', () => {
  it('maps every error code', () => {
    for (const code of Object.values(ErrorCode)) {
      expect(toGrpcStatus(new ChasmError(code, 'x')).status.code).toBe(GRPC_STATUS[code]);
    }
    expect(GRPC_STATUS[ErrorCode.Canceled]).toBe(Status.CANCELLED);
  });

  it('hides unknown errors behind INTERNAL with a reference', () => {
    const mapped = toGrpcStatus(new Error('db password is hunter2'));
    expect(mapped.status.code).toBe(Status.INTERNAL);
    expect(mapped.status.details).not.toContain('hunter2');
    expect(mapped.internal?.ref).toMatch(/^[0-9a-f]{8}$/);
    expect(mapped.status.details).toContain(mapped.internal?.ref);
  });

  it('attaches Temporal error details', () => {
    expect(details(new ExecutionAlreadyStartedError('running', 'r1', 'q1'))[0]).toMatchObject({
      type: 'temporal.api.errordetails.v1.WorkflowExecutionAlreadyStartedFailure',
      value: { runId: 'r1', startRequestId: 'q1' },
    });
    expect(details(new ResourceExhaustedError('busy', 'BUSY_WORKFLOW'))[0]).toMatchObject({
      value: { cause: 'RESOURCE_EXHAUSTED_CAUSE_BUSY_WORKFLOW' },
    });
    expect(details(new NotFoundError('gone'))[0]?.type).toBe('temporal.api.errordetails.v1.NotFoundFailure');
    expect(details(new NotFoundError('gone', { namespace: 'ns' }))[0]).toEqual({
      type: 'temporal.api.errordetails.v1.NamespaceNotFoundFailure',
      value: { namespace: 'ns' },
    });
  });

  it('lets a feature choose its detail message', () => {
    const e = new ChasmError(ErrorCode.AlreadyExists, 'activity running', {
      statusDetail: { type: 'temporal.api.errordetails.v1.ActivityExecutionAlreadyStartedFailure', value: { runId: 'r' } },
    });
    expect(details(e)[0]).toMatchObject({ type: 'temporal.api.errordetails.v1.ActivityExecutionAlreadyStartedFailure', value: { runId: 'r' } });
  });
});
